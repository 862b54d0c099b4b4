/*
 * seed.h - handing an MFA seed to its custodian in non-interactive runs (apply
 * --mfa-seed-out FILE, --mfa-seed-exec CMD), so that keywarden can compute the codes itself and
 * the seed still reaches someone who can produce codes later.
 *
 * Invariants: the seed is only read from a struct kw_secret; it goes to a 0600 file created
 * atomically, or to a command's standard input, never into argv, the environment, a log line
 * or an error message. What is handed over is the base32 text followed by "\n".
 */
#ifndef KW_MFA_SEED_H
#define KW_MFA_SEED_H

struct kw_error;
struct kw_secret;

/*
 * kw_mfa_seed_write - create path holding the seed (base32 text and "\n"), mode 0600, written
 * atomically (kw_atomic_write with KW_ATOMIC_NO_CLOBBER): an existing file or symbolic link is
 * never overwritten.
 * @path:     where (borrowed).
 * @seed_b32: the seed (borrowed).
 * Returns 0, or -1 with err set (KW_ERR_CONFLICT when path exists, KW_ERR_IO).
 */
int kw_mfa_seed_write(const char *path, const struct kw_secret *seed_b32, struct kw_error *err);

/*
 * kw_mfa_seed_exec - run `/bin/sh -c cmd` with the seed (base32 text and "\n") on its standard
 * input, in keywarden's working folder, and wait for it (see kw_exec_stdin in util/exec.h).
 * Returns 0 when the command read its input and exited 0, or -1 with err set (KW_ERR_IO:
 * "command 'CMD' exited with status N", killed by a signal, or closed its input early).
 */
int kw_mfa_seed_exec(const char *cmd, const struct kw_secret *seed_b32, struct kw_error *err);

#endif
