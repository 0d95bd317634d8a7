"""IP addresses and ranges of the ISP's network bound to contracts, for transparent login.

Accepted forms: a single address ("10.1.2.5"), a CIDR ("10.1.2.0/28"), a range ("10.1.2.5-10.1.2.9").
Ranges may not overlap: one address must point at exactly one contract.
"""

import csv
import io
import ipaddress
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.cabinet.contracts import find_contract
from portal.cabinet.errors import FieldError
from portal.models import Contract, IpBinding

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _as_hex(ip: IPAddress) -> str:
    """Fixed-width key; IPv4 is mapped into IPv6 so both families sort in one space."""
    if isinstance(ip, ipaddress.IPv4Address):
        ip = ipaddress.IPv6Address(f"::ffff:{ip}")
    return f"{int(ip):032x}"


def parse_network(text: str, field_name: str = "network") -> tuple[str, IPAddress, IPAddress]:
    """-> (normalised text, first address, last address)."""
    raw = text.strip()
    try:
        if "-" in raw:
            left, right = (part.strip() for part in raw.split("-", 1))
            first, last = ipaddress.ip_address(left), ipaddress.ip_address(right)
            if first.version != last.version or int(last) < int(first):
                raise FieldError(field_name, f"«{raw}»: конец диапазона раньше начала или другого семейства")
            return f"{first}-{last}", first, last
        net = ipaddress.ip_network(raw, strict=False)
    except FieldError:
        raise
    except ValueError:
        raise FieldError(field_name, f"«{raw}» — не IP-адрес, не подсеть и не диапазон") from None
    normal = str(net.network_address) if net.num_addresses == 1 else str(net)
    return normal, net.network_address, net.broadcast_address


def bind_ip(db: Session, contract_id: int, network: str, source: str = "manual") -> IpBinding:
    if db.get(Contract, contract_id) is None:
        raise FieldError("contract", f"договора {contract_id} нет")
    normal, first, last = parse_network(network)
    first_hex, last_hex = _as_hex(first), _as_hex(last)
    clash = db.scalar(select(IpBinding).where(IpBinding.first_hex <= last_hex, IpBinding.last_hex >= first_hex))
    if clash is not None:
        owner = db.get(Contract, clash.contract_id)
        number = owner.number if owner is not None else clash.contract_id
        raise FieldError("network", f"{normal} пересекается с {clash.network} (договор {number})")
    row = IpBinding(contract_id=contract_id, network=normal, first_hex=first_hex, last_hex=last_hex, source=source)
    db.add(row)
    db.flush()
    return row


def unbind_ip(db: Session, binding_id: int) -> None:
    row = db.get(IpBinding, binding_id)
    if row is not None:
        db.delete(row)


def contract_for_ip(db: Session, address: str) -> Contract | None:
    """The contract whose binding holds this address, or None (also for unparsable input)."""
    try:
        key = _as_hex(ipaddress.ip_address(address))
    except ValueError:
        return None
    binding = db.scalar(
        select(IpBinding)
        .where(IpBinding.first_hex <= key, IpBinding.last_hex >= key)
        .order_by(IpBinding.first_hex.desc())
    )
    return db.get(Contract, binding.contract_id) if binding else None


@dataclass
class ImportReport:
    added: int = 0
    errors: list[str] = field(default_factory=list)


def import_csv(db: Session, text: str) -> ImportReport:
    """Import the ISP's address-management export: CSV with columns `contract,network` (header optional).

    All or nothing: one bad line rejects the file, and the report names every bad line and why.
    """
    report = ImportReport()
    rows = [r for r in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if any(cell.strip() for cell in r)]
    if rows and rows[0] and rows[0][0].strip().lower() in ("contract", "договор"):
        rows = rows[1:]
    with db.begin_nested() as savepoint:
        for line_no, row in enumerate(rows, start=1):
            if len(row) < 2:
                report.errors.append(f"строка {line_no}: нужно два поля — договор и адрес/подсеть")
                continue
            contract = find_contract(db, row[0])
            if contract is None:
                report.errors.append(f"строка {line_no}: договора «{row[0].strip()}» нет")
                continue
            try:
                bind_ip(db, contract.id, row[1], source="csv")
                report.added += 1
            except FieldError as exc:
                report.errors.append(f"строка {line_no}: {exc.reason}")
        if report.errors:
            report.added = 0
            savepoint.rollback()
    return report
