"""Live chat: a subscriber's open chat, its messages (the rows are the delivery channel between workers),
and turning a chat into a ticket."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.auth.sessions import Principal
from portal.models import Contract
from portal.models.support import ChatMessage, ChatSession
from portal.support.errors import SupportError
from portal.support.tickets import open_ticket

POLL_SECONDS = 0.4  # how often a socket's worker looks for rows another worker wrote
RECHECK_POLLS = 25  # every this many polls the socket's session is checked again (revoked/expired → closed)


def open_chat_of(db: Session, contract_id: int) -> ChatSession:
    chat = db.scalar(
        select(ChatSession)
        .where(ChatSession.contract_id == contract_id, ChatSession.status == "open")
        .order_by(ChatSession.id.desc())
    )
    if chat is None:
        chat = ChatSession(contract_id=contract_id)
        db.add(chat)
        db.flush()
    return chat


def chat_for(db: Session, who: Principal, chat_id: int) -> ChatSession | None:
    chat = db.get(ChatSession, chat_id)
    if chat is None:
        return None
    if who.is_operator or (who.contract_id is not None and chat.contract_id == who.contract_id):
        return chat
    return None


def post(db: Session, chat: ChatSession, who: Principal, text: str) -> ChatMessage:
    text = (text or "").strip()
    if not text:
        raise SupportError("text", "пустое сообщение")
    if len(text) > 2000:
        raise SupportError("text", "сообщение не длиннее 2000 символов")
    if chat.status != "open":
        raise SupportError("chat", "чат закрыт", 409)
    author = "staff" if who.is_operator else "subscriber"
    message = ChatMessage(chat_id=chat.id, author=author, operator_id=who.operator_id, text=text)
    db.add(message)
    db.flush()
    return message


def messages_after(db: Session, chat_id: int, after: int = 0, limit: int = 500) -> list[ChatMessage]:
    query = (
        select(ChatMessage)
        .where(ChatMessage.chat_id == chat_id, ChatMessage.id > after)
        .order_by(ChatMessage.id)
        .limit(limit)
    )
    return list(db.scalars(query))


def as_json(message: ChatMessage) -> dict:
    return {
        "id": message.id,
        "author": message.author,
        "text": message.text,
        "at": message.created_at.isoformat().replace("+00:00", "Z"),
    }


def open_chats(db: Session) -> list[ChatSession]:
    return list(db.scalars(select(ChatSession).where(ChatSession.status == "open").order_by(ChatSession.id.desc())))


def to_ticket(db: Session, chat: ChatSession, operator_id: int):
    """The chat's transcript becomes a ticket's first message; the chat closes."""
    if chat.ticket_id is not None:
        raise SupportError("chat", f"чат уже стал обращением №{chat.ticket_id}", 409)
    contract = db.get(Contract, chat.contract_id)
    lines = [f"{'Абонент' if m.author == 'subscriber' else 'Поддержка'}: {m.text}" for m in messages_after(db, chat.id)]
    ticket = open_ticket(
        db,
        None,
        kind="chat",
        first_text="Из онлайн-чата:\n" + ("\n".join(lines) or "(пусто)"),
        uploads=[],
        author="system",
        contract_id=chat.contract_id,
        topic_code="other",
        name=contract.name if contract else "",
        address=contract.address.full if contract and contract.address else "",
        assignee_id=operator_id,
    )
    chat.ticket_id, chat.status = ticket.id, "closed"
    return ticket
