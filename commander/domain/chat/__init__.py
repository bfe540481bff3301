"""Chat: the incident's own channel in a chat connection (Slack, Mattermost, Matrix) and its meeting bridge,
and what is said in the channel coming back to the timeline (kinds.py); what a message heard becomes
(heard.py); the team's chat connections, shared through `settings:chat` (connections.py)."""
