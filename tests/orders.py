"""The valid order the tests start from, and its JSON body with a field or two changed."""

from __future__ import annotations

import json
from typing import Any

ORDER: dict[str, Any] = {
    "orderId": "ord-2026-0001",
    "customer": {"id": "c-42", "email": "ana@example.com", "name": "Ana Souza"},
    "items": [
        {"sku": "BOOK-001", "quantity": 2, "unitPrice": "19.90"},
        {"sku": "PEN-7", "quantity": 3, "unitPrice": 0.1},
    ],
    "currency": "BRL",
    "createdAt": "2026-11-27T10:00:00Z",
}


def order(order_id: str, **changes: Any) -> str:
    return json.dumps({**ORDER, "orderId": order_id, **changes})
