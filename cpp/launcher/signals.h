// Signal dispositions the launcher hands on to the container's processes.
#pragma once

// The launcher is started with glibc's posix_spawn, which resets to default every signal a
// sigset_t can name but leaves glibc's own two (32 and 33, which sigfillset omits) ignored in
// the child. An ignored signal survives execve: without this, every process of the container
// would ignore them (runc's do not). Called first thing, before anything forks.
void resetReservedSignals();
