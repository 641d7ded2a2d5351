"""``drift-retrain``, the command line: ``main`` parses and dispatches every command.

``capture`` is the check on Data Capture files, ``stack`` the commands on a deployed stack (``repair``
and ``redrive``, which do the work), ``serve`` the local cloud as a server for ``sam local invoke``,
``profile_view`` what ``profile`` prints, and ``exit_codes`` the codes every command shares.
"""
