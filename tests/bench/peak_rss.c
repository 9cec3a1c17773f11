/* tests/bench/peak_rss.c — run a command and report its peak resident set size.
 *
 * A child forked from a large parent (a Python script, say) inherits that
 * parent's pages until exec, and ru_maxrss keeps the high-water mark: this small
 * parent keeps the measurement honest. Prints "peak_rss_kib N" on stderr and
 * exits with the command's status.
 *
 * usage: peak_rss COMMAND [ARG...] */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    struct rusage ru;
    int status = 0;
    pid_t pid;

    if (argc < 2) {
        fprintf(stderr, "usage: peak_rss COMMAND [ARG...]\n");
        return 2;
    }
    pid = fork();
    if (pid == 0) {
        execvp(argv[1], argv + 1);
        perror("peak_rss: exec");
        _exit(127);
    }
    if (pid < 0 || wait4(pid, &status, 0, &ru) < 0) {
        perror("peak_rss");
        return 2;
    }
    fprintf(stderr, "peak_rss_kib %ld\n", ru.ru_maxrss);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
