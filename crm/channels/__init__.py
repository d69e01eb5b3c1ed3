"""Channels, campaigns and daily spend: the workspace's marketing channels (the models are in
crm.models)."""
