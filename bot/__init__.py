"""The running application: settings, adapters, services with outside I/O."""
