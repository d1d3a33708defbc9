"""The ``fasttag`` subcommands, one module each: ``add_parser(commands)`` declares the
arguments, ``run(args)`` does the work. `fasttag.cli.main` wires them together."""
