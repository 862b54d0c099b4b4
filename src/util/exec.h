/*
 * exec.h - run a user's shell command with secret bytes on its standard input (key delivery
 * `exec: CMD`, apply --mfa-seed-exec CMD).
 *
 * Invariants: the secret goes through a pipe only: never into the child's argv or environment.
 * The command runs as `/bin/sh -c CMD` (fork + execve) in keywarden's working folder with
 * keywarden's environment scrubbed of AWS credentials (kw_exec_env_scrubbed: no
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_ROLE_ARN, ...; AWS_PROFILE,
 * AWS_REGION and the config-file variables are kept, so a command that calls AWS itself does so
 * through a profile, never with keywarden's own keys); its standard output is sent to keywarden's standard error, so it can never
 * mix with results or JSON on stdout; its standard error is inherited; no other file
 * descriptor of keywarden's reaches it (close_range in the child). SIGPIPE is blocked in the
 * writing thread while writing, so a command that exits early is an error, not a crash. A
 * command that exits 0 without reading all of its input has not received it: also an error
 * (checked with FIONREAD when the data fits the pipe, with EPIPE otherwise).
 */
#ifndef KW_UTIL_EXEC_H
#define KW_UTIL_EXEC_H

#include <stdbool.h>
#include <stddef.h>

struct kw_error;

/*
 * kw_exec_stdin - run `/bin/sh -c cmd`, write len bytes of data to its standard input, close
 * it, and wait for the command to end.
 * @cmd:  shell command (borrowed); named in error messages, so it must hold no secret.
 * @cwd:  folder the command runs in (borrowed; e.g. the manifest's folder), NULL for ours.
 * @data: bytes to write (borrowed; may be a secret: it is copied nowhere).
 * Returns 0 when every byte was written and the command exited with status 0, or -1 with err
 * set (KW_ERR_IO with where = "exec" and a message naming the command: "command 'CMD' exited
 * with status N", "... was killed by signal N", "... closed its input before reading
 * everything", a cwd that is not an enterable folder, or the fork/pipe error). The message
 * never holds the data.
 * Source: POSIX fork(2), execv(3), pipe(2), waitpid(2); sh -c.
 */
int kw_exec_stdin(const char *cmd, const char *cwd, const void *data, size_t len, struct kw_error *err);

/*
 * kw_exec_env_scrubbed - whether the environment variable NAME (the part before '=') is kept
 * out of commands: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
 * AWS_SECURITY_TOKEN, AWS_CREDENTIAL_EXPIRATION, the legacy AWS_ACCESS_KEY/AWS_SECRET_KEY; what
 * leads to the operator's credentials: AWS_ROLE_ARN, AWS_ROLE_SESSION_NAME,
 * AWS_WEB_IDENTITY_TOKEN_FILE, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/FULL_URI,
 * AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE); and any other AWS_* name holding SECRET or ending
 * in _TOKEN. Other file names (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE), AWS_PROFILE,
 * AWS_REGION and every non-AWS variable are kept, and so is every name kw_exec_env_allow let
 * through.
 * @name: "NAME" or "NAME=value" (borrowed).
 * Source: AWS SDKs and Tools Reference Guide, "Environment variables" (credential settings).
 */
bool kw_exec_env_scrubbed(const char *name);

/*
 * kw_exec_env_allow - let the variables names ("NAME[,NAME...]", borrowed) through to commands
 * although kw_exec_env_scrubbed would keep them out (--exec-env: a delivery command that must
 * call AWS with the operator's own environment credentials). Process-wide; call before any
 * command runs (main, while parsing options). At most 32 names; NULL forgets them all (tests).
 * Returns 0, or -1 with err set (KW_ERR_USAGE: not a variable name, empty, too many; then no
 * name of this call is taken).
 */
int kw_exec_env_allow(const char *names, struct kw_error *err);

/*
 * kw_write_nosigpipe - write all len bytes of data to fd with SIGPIPE blocked in this thread
 * (a pending SIGPIPE raised by these writes is consumed), retrying on EINTR and short writes.
 * A reader that went away gives EPIPE instead of killing keywarden in the middle of a run.
 * Returns 0, or the errno of the failed write.
 */
int kw_write_nosigpipe(int fd, const void *data, size_t len);

#endif
