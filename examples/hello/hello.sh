#!/bin/sh
echo "hello from the devenv store"
