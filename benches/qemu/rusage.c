/* rusage.c: runs a program and writes its resource usage, for benches/qemu/run.py.
 *
 *     rusage OUTFILE PROGRAM [ARGS...]
 *
 * Forks, executes PROGRAM in the child, waits for it with wait4 and writes one line to
 * OUTFILE: "maxrss_kib user_seconds system_seconds exit_status signal" (one of the last two
 * is 0). Exits with the child's exit status, or
 * 128 + the signal that killed it.
 *
 * Why a separate program: Linux keeps a process's peak resident size across execve (the
 * old image's peak is carried over), so a QEMU started straight from the Python benchmark
 * would report at least the interpreter's own peak. Here the child is forked from this
 * small program, so its ru_maxrss is QEMU's. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: rusage OUTFILE PROGRAM [ARGS...]\n");
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("rusage: fork");
        return 2;
    }
    if (pid == 0) {
        execv(argv[2], argv + 2);
        perror("rusage: execv");
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid) {
        perror("rusage: wait4");
        return 2;
    }
    FILE *f = fopen(argv[1], "w");
    if (!f) {
        perror("rusage: fopen");
        return 2;
    }
    fprintf(f, "%ld %ld.%06ld %ld.%06ld %d %d\n", ru.ru_maxrss, (long)ru.ru_utime.tv_sec,
            (long)ru.ru_utime.tv_usec, (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec,
            WIFEXITED(status) ? WEXITSTATUS(status) : 0, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    fclose(f);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
