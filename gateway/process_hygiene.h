// Process-wide settings for a process that holds provider keys and tokens in
// memory (README "Process hygiene"). Thread-safe (system calls on the whole
// process).
#pragma once

namespace slotgate::gateway {

// server.core_dumps. false: the process is not dumpable (PR_SET_DUMPABLE 0: no core file,
// no ptrace attach or /proc/PID/mem read by other processes of the same user) and the soft
// RLIMIT_CORE is 0. true: dumpable again, with the soft core limit the process started with
// (the hard limit is left alone, so a reload can turn dumps back on). Called at start and
// on every reload.
void applyCoreDumpSetting(bool allow);

}  // namespace slotgate::gateway
