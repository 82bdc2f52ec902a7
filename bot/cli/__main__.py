"""``python -m bot.cli``: the ``sigap`` command without the installed script (tests use it)."""

from bot.cli import main

if __name__ == "__main__":
    main()
