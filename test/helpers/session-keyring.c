// Prints the calling process's session keyring: its serial number and the kernel's description
// ("type;uid;gid;perm;name"). Built static by the exec tests and run inside busybox containers,
// which have no keyctl of their own.
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  const long KEYCTL_GET_KEYRING_ID = 0, KEYCTL_DESCRIBE = 6, KEY_SPEC_SESSION_KEYRING = -3;
  long id = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
  if (id < 0) { perror("keyctl get session keyring"); return 1; }
  char desc[512];
  long n = syscall(SYS_keyctl, KEYCTL_DESCRIBE, id, desc, sizeof desc);
  if (n < 0 || n > (long)sizeof desc) { perror("keyctl describe"); return 1; }
  printf("%ld %s\n", id, desc);
  return 0;
}
