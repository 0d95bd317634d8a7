"""The chat bot's tree (sections → topics → guidance), read by subscribers and edited by operators."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.auth.sessions import Principal
from portal.models import Contract, ContractPhone
from portal.models.support import BotNode, Ticket
from portal.support import catalog, tickets
from portal.support.errors import SupportError
from portal.support.files import Upload


def nodes(db: Session) -> list[BotNode]:
    return list(db.scalars(select(BotNode).order_by(BotNode.position, BotNode.id)))


def children(db: Session, parent_id: int | None) -> list[BotNode]:
    query = select(BotNode).order_by(BotNode.position, BotNode.id)
    query = query.where(BotNode.parent_id.is_(None) if parent_id is None else BotNode.parent_id == parent_id)
    return list(db.scalars(query))


def path_to(db: Session, node: BotNode) -> list[BotNode]:
    """Root first; the root is the ticket's section."""
    path = [node]
    while path[0].parent_id is not None and len(path) < 20:
        parent = db.get(BotNode, path[0].parent_id)
        if parent is None:
            break
        path.insert(0, parent)
    return path


def tree(db: Session) -> list[dict]:
    """The whole tree as nested dicts (GET /api/v1/support/bot)."""
    all_nodes = nodes(db)
    kids: dict[int | None, list[BotNode]] = {}
    for node in all_nodes:
        kids.setdefault(node.parent_id, []).append(node)

    def build(node: BotNode, depth: int) -> dict:
        items = [build(child, depth + 1) for child in kids.get(node.id, [])] if depth < 20 else []
        return {
            "id": node.id,
            "title": node.title,
            "guidance": node.guidance,
            "topic": node.topic_code,
            "children": items,
        }

    return [build(root, 0) for root in kids.get(None, [])]


def save_node(
    db: Session,
    node_id: int | None,
    parent_id: int | None,
    title: str,
    guidance: str,
    topic_code: str,
    position: int = 0,
) -> BotNode:
    title = title.strip()
    if not title or len(title) > 200:
        raise SupportError("title", "название от 1 до 200 символов")
    if len(guidance) > 10000:
        raise SupportError("guidance", "подсказка не длиннее 10000 символов")
    if catalog.topic_by_code(db, topic_code) is None:
        raise SupportError("topic_code", "нет такой темы обращения")
    if parent_id is not None and db.get(BotNode, parent_id) is None:
        raise SupportError("parent_id", "нет такого раздела")
    parent = db.get(BotNode, parent_id) if parent_id is not None else None
    if node_id and parent is not None and any(n.id == node_id for n in path_to(db, parent)):
        raise SupportError("parent_id", "пункт нельзя вложить в самого себя")
    node = db.get(BotNode, node_id) if node_id else BotNode(parent_id=parent_id)
    if node is None:
        raise SupportError("node_id", "нет такого пункта", 404)
    node.parent_id = parent_id
    node.title, node.guidance, node.topic_code, node.position = title, guidance.strip(), topic_code, position
    db.add(node)
    db.flush()
    return node


def delete_node(db: Session, node_id: int) -> None:
    node = db.get(BotNode, node_id)
    if node is None:
        raise SupportError("node_id", "нет такого пункта", 404)
    if children(db, node.id):
        raise SupportError("node_id", "сначала удалите вложенные темы", 409)
    db.delete(node)
    db.flush()


def open_bot_ticket(
    db: Session, storage, who: Principal, node: BotNode, text: str, uploads: list[Upload], ip: str
) -> Ticket:
    """The bot's last step: the section (root) and topic path filled in, contact details from the contract."""
    text = tickets.clean_text(text, "text", 5000, not uploads) or "(без текста, см. вложения)"
    path = path_to(db, node)
    contract = db.get(Contract, who.contract_id)
    phone = db.scalar(select(ContractPhone.phone).where(ContractPhone.contract_id == who.contract_id)) or ""
    return tickets.open_ticket(
        db,
        storage,
        kind="bot",
        first_text=text,
        uploads=uploads,
        author="subscriber",
        contract_id=who.contract_id,
        topic_code=node.topic_code,
        section=path[0].title,
        bot_topic=" → ".join(n.title for n in path[1:]) or node.title,
        name=contract.name if contract else "",
        phone=phone,
        address=contract.address.full if contract and contract.address else "",
        ip=ip[:64],
    )
