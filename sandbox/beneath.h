/*
 * beneath.h - path lookups that cannot be steered by symlinks (internal to
 * the sandbox module).
 */
#ifndef CORRAL_SBX_BENEATH_H
#define CORRAL_SBX_BENEATH_H

/*
 * openat2(@dirfd, @rel) with O_CLOEXEC added to @flags, refusing any
 * symlink or magic link on the way and any path that leaves @dirfd: a link
 * planted in the workspace cannot make the sandbox's set-up create or mount
 * anything elsewhere. One system call, no allocation (safe in the vfork
 * child). Returns the fd or -1 with errno (ELOOP for a symlink in the way).
 */
int sbx_open_beneath(int dirfd, const char *rel, int flags);

#endif
