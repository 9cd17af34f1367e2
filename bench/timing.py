"""What the benchmark scripts share: timing a command as a whole process."""
import os
import subprocess
import tempfile
import time


def timed(argv, **kwargs):
    """Wall time, and peak RSS in MiB as GNU time measures it (the child alone, after exec).
    The command's standard output is discarded; keyword arguments go to subprocess.run."""
    report = tempfile.mktemp()
    start = time.perf_counter()
    subprocess.run(["/usr/bin/time", "-o", report, "-f", "%M"] + argv, stdout=subprocess.DEVNULL, check=True, **kwargs)
    seconds = time.perf_counter() - start
    peak = int(open(report).read().split()[-1]) / 1024
    os.remove(report)
    return seconds, peak
