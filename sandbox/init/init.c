/*
 * init.c - pid 1 of every sandbox.
 *
 * A freestanding program (no libc: its start-up is on every call's path,
 * and glibc's start-up costs ~0.5 ms on a VM where CPUID traps). The
 * sandbox's setup process execs it as the last step, after every
 * restriction is in place, so it starts from a clean image that holds
 * nothing of corral's memory, with default signal handlers.
 *
 *   argv: corral-init STATUS_FD PATH ARGV0 ARGS...   envp: the command's environment
 *   fd STATUS_FD: the status pipe to corral (written once, then the process
 *   exits); fds below it are the command's (0-2 and any passed ones)
 *
 * It forks the command (pid 2), which execs PATH, and then only reaps: the
 * orphans the command leaves, and finally the command itself, whose wait
 * status it writes to fd 3 as 'S' + 4 bytes. An exec failure is written as
 * 'E' + errno by the child. When init exits the kernel kills everything
 * left in the pid namespace.
 *
 * Why init is not the command: a namespace's init ignores the signals it
 * sends itself, so `kill -9 $$` or abort() in the command would do nothing.
 */
#include <asm/unistd.h>
#include <linux/fcntl.h>
#include <linux/prctl.h>
#include <linux/sched.h>
#include <linux/wait.h>
#include <signal.h>

#define WALL_FLAG 0x40000000 /* __WALL */

static long sys3(long n, long a, long b, long c)
{
	long ret;
#if defined(__x86_64__)
	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "a"(n), "D"(a), "S"(b), "d"(c)
	                 : "rcx", "r11", "memory");
#elif defined(__aarch64__)
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	__asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
	ret = x0;
#else
#error "corral-init supports x86_64 and aarch64"
#endif
	return ret;
}

static long sys5(long n, long a, long b, long c, long d, long e)
{
	long ret;
#if defined(__x86_64__)
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
	                 : "rcx", "r11", "memory");
#elif defined(__aarch64__)
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	__asm__ volatile("svc 0"
	                 : "+r"(x0)
	                 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4)
	                 : "memory");
	ret = x0;
#endif
	return ret;
}

static int status_fd = -1;

static void report(char tag, int value)
{
	char msg[5];

	msg[0] = tag;
	msg[1] = (char)(value & 0xff);
	msg[2] = (char)((value >> 8) & 0xff);
	msg[3] = (char)((value >> 16) & 0xff);
	msg[4] = (char)((value >> 24) & 0xff);
	sys3(__NR_write, status_fd, (long)msg, sizeof(msg));
}

static __attribute__((noreturn)) void die(int code)
{
	for (;;)
		sys3(__NR_exit_group, code, 0, 0);
}

__attribute__((used, noreturn)) void init_main(long *sp);

__attribute__((used, noreturn)) void init_main(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1;
	long pid;
	int status;

	if (argc < 4)
		die(127);
	status_fd = 0;
	for (const char *p = argv[1]; *p; p++) {
		if (*p < '0' || *p > '9' || status_fd > 1000)
			die(127);
		status_fd = status_fd * 10 + (*p - '0');
	}
	/* Nothing in the sandbox may read init through /proc/1 (environ, mem):
	 * it holds nothing secret, but it is not the command's to inspect. */
	sys5(__NR_prctl, PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* The status pipe must not reach the command. */
	sys3(__NR_fcntl, status_fd, F_SETFD, FD_CLOEXEC);
	pid = sys5(__NR_clone, SIGCHLD, 0, 0, 0, 0); /* fork() */
	if (pid < 0)
		die(127);
	if (pid == 0) {
		long err = sys3(__NR_execve, (long)argv[2], (long)(argv + 3), (long)envp);
		report('E', (int)-err);
		die(err == -2 /* ENOENT */ ? 127 : 126);
	}
	for (;;) {
		long w = sys5(__NR_wait4, -1, (long)&status, WALL_FLAG, 0, 0);
		if (w == -4 /* EINTR */)
			continue;
		if (w < 0)
			die(127);
		if (w == pid) {
			report('S', status);
			die(0);
		}
	}
}

#if defined(__x86_64__)
__asm__(".text\n"
        ".global _start\n"
        "_start:\n"
        "	xor %rbp, %rbp\n"
        "	mov %rsp, %rdi\n"
        "	and $-16, %rsp\n"
        "	call init_main\n"
        "	hlt\n");
#elif defined(__aarch64__)
__asm__(".text\n"
        ".global _start\n"
        "_start:\n"
        "	mov x29, #0\n"
        "	mov x0, sp\n"
        "	and sp, x0, #-16\n"
        "	bl init_main\n");
#endif
