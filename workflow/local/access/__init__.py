"""Access, evaluated as AWS evaluates it: every call the running system makes is authorized against
the policies deployed into the emulated account, and a denied call fails as AWS fails it.

- `policy`: the evaluator (pure): statements, conditions, same-account and KMS key-policy logic.
- `account`: the policies as deployed, read back from the emulated services' APIs.
- `enforce`: who is calling (a function's role, the state machine's role, a service), what each
  call needs, the decision (cached), and the error AWS returns when it is denied.

The moto internals this needs patched (resource policies applied, SNS delivery checked) are in
`workflow.local.patches.fidelity.access`.
"""
