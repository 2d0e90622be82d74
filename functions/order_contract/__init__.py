"""What the starter and the validator must agree on: how a body is read, and what an order id is.

Shipped in both functions' deployment packages, so a body's key (its orderId) and its validation
can never read the same text two ways.
"""
