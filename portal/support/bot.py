"""The chat bot's tree (sections → topics → guidance), read by subscribers and edited by operators."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models.support import BotNode
from portal.support import catalog
from portal.support.errors import SupportError


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
    node = db.get(BotNode, node_id) if node_id else BotNode(parent_id=parent_id)
    if node is None:
        raise SupportError("node_id", "нет такого пункта", 404)
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
