"""Multi-step conversations whose state lives in the database.

A flow is a set of named steps; each step can prompt, and react to text, a button or other
content (a photo, a location). Every answer is committed with the next step before the next
prompt is sent, so a bot killed at any moment continues at the step where the person was, on
whichever process receives their next update (PTB's ConversationHandler reads persisted state
only at start-up: PTB #4452, #5225).

Flow buttons carry the conversation's version (``f:<version>:<value>``): a press on a button of an
earlier step, or of a flow that ended, is recognised as stale and answered, never replayed.

A save that ends a flow leaves a receipt (``FlowCall.ending``): the same update delivered again
after a kill that fell between the commit and the confirmation is answered with the
confirmation again (``Flow.confirm_again``), not as a stale button.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from telegram import Message, Update

from handlers.callback import CallbackData
from handlers.common import answer_button, buttons_json, remove_buttons, reply
from handlers.context import SigapContext
from handlers.settle import settle
from models import conversation as store
from models.tables import Conversation
from texts import Texts

# ``f:<conversation version>:<the step's value>`` (the value may hold colons: ``q:2026:4``).
BUTTONS = CallbackData("f", "ns")
T = TypeVar("T")
MAX_TEXT = 4000  # answers longer than one Telegram message are refused, never truncated


@dataclass
class Step:
    prompt: Callable[[FlowCall], Awaitable[None]]
    on_text: Callable[[FlowCall, str], Awaitable[None]] | None = None
    on_button: Callable[[FlowCall, str], Awaitable[None]] | None = None
    # Photos, documents, locations, contacts: whatever the step can take besides text.
    on_message: Callable[[FlowCall, Message], Awaitable[bool]] | None = None
    # The flow is over and this step only remembers how it ended: the update that ended it,
    # delivered again, gets its confirmation again (``prompt``); anything else ends the
    # conversation and is handled as if none were open.
    final: bool = False
    # Buttons whose handler turns the pressed message itself into its answer (a summary edited
    # into "Tersimpan"): the press is not settled first, which would be a second edit of the
    # same message. The handler settles it itself when it answers otherwise.
    in_place: frozenset[str] = frozenset()


# Says again what a save said, from its receipt (``FlowCall.ending``).
ConfirmAgain = Callable[[Update, "SigapContext", dict[str, Any]], Awaitable[None]]


@dataclass
class Flow:
    name: str
    first_step: str
    steps: dict[str, Step] = field(default_factory=dict)
    # Without it a redelivered save is answered with the generic "already saved".
    confirm_again: ConfirmAgain | None = None

    async def start(
        self,
        update: Update,
        context: SigapContext,
        data: dict[str, Any] | None = None,
        step: str | None = None,
    ) -> None:
        """Begin at ``step`` (default: the first), replacing any open flow of this person."""
        chat, user = update.effective_chat, update.effective_user
        assert chat is not None and user is not None
        step = step or self.first_step
        if await self._started_before(update, context, step):
            return
        conversation = await store.begin(
            context.services.db,
            chat.id,
            user.id,
            self.name,
            step,
            data or {},
            update.update_id,
            context.services.clock.now(),
        )
        context.forget_conversation(conversation)
        await self.steps[step].prompt(FlowCall(update, context, self, conversation))

    async def _started_before(self, update: Update, context: SigapContext, step: str) -> bool:
        """Delivered again after a kill, this update finds the conversation it started here:
        ask its question again (the first may never have reached Telegram). Starting afresh
        would give the flow a new version, and the person's press on the question they saw
        would be refused as an old button."""
        chat, user = update.effective_chat, update.effective_user
        assert chat is not None and user is not None
        conversation = await context.conversation(chat.id, user.id)
        if conversation is None or update.update_id != conversation.last_update_id:
            return False
        if (conversation.flow, conversation.step) != (self.name, step):
            return False  # one flow handing over to another within this update
        await answer_button(update)
        await _prompt_again(update, context, conversation)
        return True


_FLOWS: dict[str, Flow] = {}


def register(flow: Flow) -> Flow:
    if flow.name in _FLOWS and _FLOWS[flow.name] is not flow:
        raise ValueError(f"two flows named {flow.name!r}")
    _FLOWS[flow.name] = flow
    return flow


@dataclass
class FlowCall:
    """One update arriving at one step: what a step handler works with."""

    update: Update
    context: SigapContext
    flow: Flow
    conversation: Conversation

    @property
    def texts(self) -> Texts:
        return self.context.texts

    @property
    def data(self) -> dict[str, Any]:
        return dict(self.conversation.data)

    @property
    def pressed(self) -> Message | None:
        """The message whose button brought this update (None for a message, or one too old
        for Telegram to show)."""
        return pressed_message(self.update)

    def keyboard(self, rows: Sequence[Sequence[tuple[str, str]]]) -> str:
        """Buttons for the current step: (label, value) pairs, tagged with the version; as the
        JSON Telegram takes (``common.buttons_json``): every question has them, and PTB's
        objects were built only to be turned into JSON again."""
        version = self.conversation.version
        return buttons_json(
            [[(label, BUTTONS.pack(version, value)) for label, value in row] for row in rows]
        )

    async def say(self, text: str, rows: Sequence[Sequence[tuple[str, str]]] | None = None) -> None:
        markup = self.keyboard(rows) if rows else None
        message = await reply(self.update, self.context, text, markup)
        if rows and message is not None:
            # Only the newest question's buttons apply: the one before loses its keyboard.
            key = (self.conversation.chat_id, self.conversation.user_id)
            await retire_keyboard(self.context, key)
            remember_keyboard(self.context, key, message.message_id)

    async def goto(
        self, step: str, data: dict[str, Any], note: tuple[str, Any] | None = None
    ) -> None:
        """Commit the answer and the next step, then ask the next step's question, after
        ``note`` (text and reply markup) if given: an acknowledgement sent only once the answer
        is committed, so that an answer lost on the way (the person repeats it) is not
        acknowledged twice."""
        self.conversation = await store.advance(
            self.context.services.db,
            self.conversation,
            step,
            data,
            self.update.update_id,
            self.context.services.clock.now(),
        )
        self.context.forget_conversation(self.conversation)
        if note is not None:
            await reply(self.update, self.context, *note)
        await self.flow.steps[step].prompt(self)

    async def save(self, data: dict[str, Any]) -> None:
        """Commit new answers without moving to another step (evidence arriving one by one);
        the step's buttons stay valid."""
        self.conversation = await store.save_data(
            self.context.services.db,
            self.conversation,
            data,
            self.update.update_id,
            self.context.services.clock.now(),
        )
        self.context.forget_conversation(self.conversation)

    def ending(self, receipt: dict[str, Any] | None = None) -> store.FlowEnd:
        """What a data function needs to end this conversation in the save's transaction:
        ``receipt`` is what ``Flow.confirm_again`` needs to confirm the save again."""
        conv, query = self.conversation, self.update.callback_query
        return store.FlowEnd(
            conv.chat_id,
            conv.user_id,
            conv.version,
            self.update.update_id,
            receipt,
            self.flow.name,
            query.data if query is not None else None,
        )

    async def finish(self) -> None:
        await store.finish(
            self.context.services.db, self.conversation.chat_id, self.conversation.user_id
        )
        self.context.forget_conversation(None)


KEYBOARDS_KEPT = 2000  # people whose latest question's keyboard is remembered


def remember_keyboard(context: SigapContext, key: tuple[int, int], message_id: int) -> None:
    keyboards = context.bot_data.flow_keyboards
    keyboards[key] = message_id
    keyboards.move_to_end(key)
    while len(keyboards) > KEYBOARDS_KEPT:
        keyboards.popitem(last=False)


async def retire_keyboard(
    context: SigapContext, key: tuple[int, int], only: int | None = None
) -> None:
    """Take the buttons off this person's latest flow question (``only``: if it is that one)."""
    keyboards = context.bot_data.flow_keyboards
    message_id = keyboards.get(key)
    if message_id is None or (only is not None and message_id != only):
        return
    del keyboards[key]
    # Cosmetic: the update is still handled (a stale press would be refused anyway).
    await remove_buttons(context, key[0], message_id)


def forget_pressed_keyboard(update: Update, context: SigapContext) -> None:
    """The pressed message lost its buttons: no later question need take them off. (A step
    that answers in place, ``Step.in_place``, says so once its edit went out; until then a
    failed save leaves them to be retired by the next question.)"""
    message = pressed_message(update)
    chat, user = update.effective_chat, update.effective_user
    if message is None or chat is None or user is None:
        return
    key = (chat.id, user.id)
    if context.bot_data.flow_keyboards.get(key) == message.message_id:
        del context.bot_data.flow_keyboards[key]


def parse_button(data: str) -> tuple[int, str] | None:
    press = BUTTONS.unpack(data)
    if press is None or press.text is None:
        return None
    return press.numbers[0], press.text


NoFlowHandler = Callable[[Update, SigapContext], Awaitable[None]]


async def dispatch(update: Update, context: SigapContext, no_flow: NoFlowHandler) -> None:
    """Route a message or flow button to the open conversation, else to ``no_flow``."""
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    conversation = await context.conversation(chat.id, user.id)
    query = update.callback_query
    if conversation is not None and update.update_id <= conversation.last_update_id:
        # Delivered again after a restart; its effect is already committed.
        await answer_button(update)
        if update.update_id == conversation.last_update_id:
            # The update that brought the conversation here: the bot may have died before its
            # question reached Telegram, so ask it again (at worst the person sees it twice).
            await _prompt_again(update, context, conversation)
        return
    flow = _FLOWS.get(conversation.flow) if conversation else None
    step = flow.steps.get(conversation.step) if flow and conversation else None
    if conversation is not None and step is not None and step.final:
        await store.finish(context.services.db, chat.id, user.id)
        context.forget_conversation(None)
        conversation = None
    if query is not None:
        await _dispatch_button(update, context, conversation, query.data or "")
        return
    if conversation is None:
        if not await _confirm_again(update, context):
            await no_flow(update, context)
        return
    if flow is None or step is None:
        # A flow or step that no longer exists after an upgrade: end it rather than trap them.
        await store.finish(context.services.db, chat.id, user.id)
        await no_flow(update, context)
        return
    call = FlowCall(update, context, flow, conversation)
    message = update.effective_message
    assert message is not None
    if message.text is not None and step.on_text is not None:
        if len(message.text) > MAX_TEXT:
            await reply(
                update,
                context,
                context.texts.t("common.too_long", length=len(message.text), limit=MAX_TEXT),
            )
            return
        await _answered_in_words(call, step.on_text(call, message.text))
        return
    if step.on_message is not None and await _answered_in_words(
        call, step.on_message(call, message)
    ):
        return
    if step.on_text is None:
        # This step is answered with its buttons: show them again rather than a dead end.
        await reply(update, context, context.texts.t("common.use_buttons"))
        await step.prompt(call)
        return
    await reply(update, context, context.texts.t("common.expected_text"))


async def _answered_in_words(call: FlowCall, answer: Awaitable[T]) -> T:
    """A step answered by typing or sending rather than a button: once the conversation has
    moved on (another step, or ended), the buttons of the question it answered are gone (a
    "Lewati" under a question already answered)."""
    before = call.conversation
    key = (before.chat_id, before.user_id)
    asked = call.context.bot_data.flow_keyboards.get(key)
    result = await answer
    now = await call.context.conversation(before.chat_id, before.user_id)
    if asked is not None and (now is None or now.step != before.step or now.flow != before.flow):
        await retire_keyboard(call.context, key, only=asked)
    return result


async def _prompt_again(update: Update, context: SigapContext, conversation: Conversation) -> None:
    flow = _FLOWS.get(conversation.flow)
    step = flow.steps.get(conversation.step) if flow else None
    if flow is not None and step is not None:
        await step.prompt(FlowCall(update, context, flow, conversation))


async def _dispatch_button(
    update: Update, context: SigapContext, conversation: Conversation | None, data: str
) -> None:
    parsed = parse_button(data)
    if conversation is None or parsed is None or parsed[0] != conversation.version:
        if not await _confirm_again(update, context):
            await answer_button(update, context.texts.plain("common.stale_button"), alert=False)
        return
    flow = _FLOWS.get(conversation.flow)
    step = flow.steps.get(conversation.step) if flow else None
    if flow is None or step is None or step.on_button is None:
        await answer_button(update, context.texts.plain("common.stale_button"))
        return
    if _shown(update, data):
        await answer_button(update)
        if parsed[1] not in step.in_place:
            # The pressed message shows the choice and loses its buttons.
            forget_pressed_keyboard(update, context)
            await settle(update, context)
    else:
        # Not a button of this message: forged, or its keyboard is already gone. The step
        # still decides (and refuses what is not the person's), but the keyboard stays and the
        # press is answered, so a value the step ignores is never a silent dead end.
        await answer_button(update, context.texts.plain("common.stale_button"))
    try:
        await step.on_button(FlowCall(update, context, flow, conversation), parsed[1])
    except store.StaleStep:
        # A second tap raced the first one; the first one won and answered.
        return


async def _confirm_again(update: Update, context: SigapContext) -> bool:
    """Whether this update already saved a flow (delivered again after a kill between the
    commit and the confirmation), or presses again the button that saved it (its confirmation
    was lost on the way, or a double tap); if so, confirm the save again."""
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    query = update.callback_query
    receipt = await store.receipt_for(
        context.services.db,
        chat.id,
        user.id,
        update.update_id,
        query.data if query is not None else None,
    )
    flow = _FLOWS.get(receipt.flow) if receipt is not None else None
    if receipt is None or flow is None:
        return False  # none, or another kind of save's (a desk's move: ``handlers.desk``)
    await answer_button(update)
    if flow.confirm_again is not None:
        await flow.confirm_again(update, context, dict(receipt.data))
    else:
        await reply(update, context, context.texts.t("common.already_saved"))
    return True


def pressed_message(update: Update) -> Message | None:
    query = update.callback_query
    return query.message if query is not None and isinstance(query.message, Message) else None


def _shown(update: Update, data: str) -> bool:
    """Whether the pressed message shows a button with this data (Telegram only sends data of
    a button on the message)."""
    message = update.callback_query.message if update.callback_query else None
    if not isinstance(message, Message):
        return True  # too old for Telegram to show it: the version check has to do
    markup = message.reply_markup
    return markup is not None and any(
        button.callback_data == data for row in markup.inline_keyboard for button in row
    )


async def cancel(update: Update, context: SigapContext) -> None:
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    conversation = await context.conversation(chat.id, user.id)
    flow = _FLOWS.get(conversation.flow) if conversation else None
    step = flow.steps.get(conversation.step) if flow and conversation else None
    ended = await store.finish(context.services.db, chat.id, user.id)
    context.forget_conversation(None)
    if step is not None and step.final:
        ended = False  # it was over already: nothing was in progress
    key = "common.cancelled" if ended else "common.nothing_to_cancel"
    await reply(update, context, context.texts.t(key))
