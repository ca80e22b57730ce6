"""What the end-to-end tests' servers (backend.py, tlsserver.py, wsecho.py)
share once they are bound: the pid file that tells lib.sh they are ready,
then serving until they are killed.

Each imports it from its own folder, which Python puts first on sys.path
when it runs the script ("python3 t/e2e/backend.py ..." from anywhere).
"""

import os


def serve_forever(srv, pidfile):
    """Write this process's pid to pidfile, if one is given, whole or not
    at all (a temporary file, then a rename), then serve srv (a bound
    socketserver) until the process is killed. Returns 0, the exit status.
    """
    if pidfile:
        tmp = pidfile + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(tmp, pidfile)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0
