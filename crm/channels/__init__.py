"""Channels, campaigns and daily spend: the workspace's marketing channels (models in crm.models)."""
