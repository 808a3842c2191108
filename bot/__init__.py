"""The running application. At this level the shell: the ``esignbot`` entry point, settings,
wiring, the HTTP server and its body limit, the scheduler and background work. Each platform and
each service with outside I/O is a package of its own below."""
