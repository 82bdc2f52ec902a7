"""``sigap sandbox``: the whole product in a browser, with no Telegram account or token.

``server`` runs the emulator, the real bot and the web page; ``seed`` prepares the data;
``personas`` names the demo people; ``render`` turns message entities into safe HTML;
``clock`` is the sandbox's forward-only clock; ``static/`` is the page itself.
"""
