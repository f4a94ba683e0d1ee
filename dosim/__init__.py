"""dosim: a DigitalOcean API simulator speaking the real API over real HTTP.

Run it with ``python -m dosim --port 8089``; in-process with
``dosim.server.start_in_thread(port=0, **config)``; drive it with
``dosim.client.DosimClient``. Fault names are in ``dosim.faults``.
"""
