"""The demo workspace: a deterministic generator of 18 months of marketing data and the
`seed_demo` command. Sits on top of every other app; nothing imports it."""
