"""``sigap sandbox``: the whole product in a browser, with no Telegram account or token.

``server`` wires and runs the emulator, the real bot and the web page; ``page`` is the page's
JSON API and WebSocket; ``people`` the demo people's actions; ``chats`` the chats as the page
shows them (kept across restarts); ``clock_panel`` the page's clock buttons; ``seed`` prepares
the data; ``personas`` names the demo people; ``render`` turns message entities into safe HTML;
``clock`` is the sandbox's forward-only clock; ``static/`` is the page itself.
"""
