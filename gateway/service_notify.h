// systemd service notifications (sd_notify): READY once the listeners serve, RELOADING around
// a SIGHUP reload, STOPPING when draining starts. With Type=notify, systemd starts dependent
// units only once slotgate really accepts, and shows a reload or a drain as such.
//
// Each call is a no-op when NOTIFY_SOCKET is unset (not started by systemd). Thread-safe
// (sd_notify sends one datagram per call).
#pragma once

namespace slotgate::gateway {

void notifyReady();
// RELOADING=1 with MONOTONIC_USEC (what systemd 253's Type=notify-reload asks for); follow it
// with notifyReady() once the reload is done, whatever its outcome.
void notifyReloading();
void notifyStopping();

}  // namespace slotgate::gateway
