#!/bin/sh
# Runs the lane's job in the guest, once the root is built: relays the command's stdout/stderr
# to the host through the UML consoles tty1/tty2, runs $J/cmd.sh (written by run.sh), waits for
# the relays to drain and writes the exit status to $J/status. Called by uml-init.sh (PID 1 of
# this lane) and by scripts/systemd-vm/sdlane-cmd.sh (a systemd service there); the caller powers
# the guest off afterwards. Plain POSIX sh: busybox ash runs it in one lane, dash in the other.
J=/run/cg2vm/job
stty -F /dev/tty1 -opost -echo 2> /dev/null
stty -F /dev/tty2 -opost -echo 2> /dev/null
mkfifo /run/cg2vm/out /run/cg2vm/err
cat /run/cg2vm/out > /dev/tty1 &
c1=$!
cat /run/cg2vm/err > /dev/tty2 &
c2=$!

/bin/bash $J/cmd.sh < /dev/null > /run/cg2vm/out 2> /run/cg2vm/err &
wait $!
rc=$?

# Let the relays drain (give up after 3s if a leftover daemon holds the pipes).
(sleep 3 && kill $c1 $c2) 2> /dev/null &
w=$!
wait $c1 $c2
kill $w 2> /dev/null
# tcsetattr(TCSADRAIN): wait until the consoles handed everything to the host.
stty -F /dev/tty1 -opost 2> /dev/null
stty -F /dev/tty2 -opost 2> /dev/null
echo "$rc" > $J/status
sync
