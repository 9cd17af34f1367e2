#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "CLinux.h"

/* The guard's exit status: the service's, or 128 + the signal that ended it (as shells report). */
static int exit_code(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 1;
}

/* Stops the group `group` (led by `leader`): `stop_signal`, up to `grace_ms` for the leader to
   end, then SIGKILL to whatever is left. Returns the leader's exit status. */
static int stop_group(pid_t leader, int stop_signal, int grace_ms, const sigset_t *waited) {
    int status = 0;
    kill(-leader, stop_signal);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        if (waitpid(leader, &status, WNOHANG) == leader) break;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (elapsed >= grace_ms) {
            kill(-leader, SIGKILL);
            waitpid(leader, &status, 0);
            break;
        }
        long left = grace_ms - elapsed;
        struct timespec wait = {left / 1000, (left % 1000) * 1000000};
        sigtimedwait(waited, NULL, &wait);
    }
    kill(-leader, SIGKILL);
    return status;
}

pid_t devenv_spawn_guarded(const char *path, char *const argv[], char *const envp[], const char *directory,
                           int input, int output, int stop_signal, int grace_ms, pid_t *service) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) return -1;
    pid_t supervisor = getpid();
    pid_t guard = fork();
    if (guard < 0) {
        close(report[0]);
        close(report[1]);
        return -1;
    }
    if (guard == 0) {
        /* Only async-signal-safe calls from here on: the supervisor has other threads. */
        sigset_t waited;
        sigemptyset(&waited);
        sigaddset(&waited, SIGCHLD);
        sigaddset(&waited, SIGHUP);
        sigaddset(&waited, SIGTERM);
        sigprocmask(SIG_SETMASK, &waited, NULL);
        /* The terminal's Ctrl-C and Ctrl-\ reach the supervisor's group, this one included: the
           supervisor decides what stops, so the guard ignores them. */
        struct sigaction ignore;
        memset(&ignore, 0, sizeof ignore);
        ignore.sa_handler = SIG_IGN;
        sigaction(SIGINT, &ignore, NULL);
        sigaction(SIGQUIT, &ignore, NULL);
        /* SIGHUP when the thread that forked (the supervisor's main thread) ends, SIGKILL included. */
        prctl(PR_SET_PDEATHSIG, SIGHUP);
        if (getppid() != supervisor) _exit(125);
        pid_t child = fork();
        if (child == 0) {
            setpgid(0, 0);
            struct sigaction standard;
            memset(&standard, 0, sizeof standard);
            standard.sa_handler = SIG_DFL;
            for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &standard, NULL);
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, NULL);
            if (input >= 0) dup2(input, 0);
            dup2(output, 1);
            dup2(output, 2);
            if (directory != NULL && chdir(directory) != 0) _exit(126);
            execve(path, argv, envp);
            _exit(127);
        }
        if (child < 0) _exit(125);
        setpgid(child, child);
        ssize_t written;
        do {
            written = write(report[1], &child, sizeof child);
        } while (written < 0 && errno == EINTR);
        /* Nothing of the supervisor's stays open here (its pipes' ends would never see EOF). */
        syscall(SYS_close_range, 0U, ~0U, 0U);
        for (;;) {
            int sig = sigwaitinfo(&waited, NULL);
            if (sig == SIGCHLD) {
                int status;
                if (waitpid(child, &status, WNOHANG) == child) {
                    /* What the service left in its group goes with it. */
                    kill(-child, SIGKILL);
                    _exit(exit_code(status));
                }
            } else if (sig == SIGHUP || sig == SIGTERM) {
                _exit(exit_code(stop_group(child, stop_signal, grace_ms, &waited)));
            }
        }
    }
    close(report[1]);
    pid_t child = -1;
    ssize_t count;
    do {
        count = read(report[0], &child, sizeof child);
    } while (count < 0 && errno == EINTR);
    close(report[0]);
    if (count != sizeof child) {
        int status;
        waitpid(guard, &status, 0);
        errno = ECHILD;
        return -1;
    }
    *service = child;
    return guard;
}

int devenv_pipe(int fds[2], int nonblocking) { return pipe2(fds, O_CLOEXEC | (nonblocking ? O_NONBLOCK : 0)); }

static int signal_pipe = -1;

static void note_signal(int sig) {
    int saved = errno;
    unsigned char byte = (unsigned char)sig;
    (void)!write(signal_pipe, &byte, 1);
    errno = saved;
}

int devenv_signals_to_pipe(int fd, const int *signals, int count) {
    signal_pipe = fd;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = note_signal;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    for (int i = 0; i < count; i++) {
        if (sigaction(signals[i], &action, NULL) != 0) return -1;
    }
    return 0;
}
