"""Reports and the dashboard: what a campaign found, read only from its storage.

``extract`` (storage -> plain data) | ``figures`` (plotly) | ``html`` (self-contained report) |
``live`` + ``panels`` + ``dashboard`` (Dash app, incremental reads). Plotly and Dash are
imported only when a figure is drawn or the app is created.
"""

from .extract import Campaign, CampaignSource, campaign_quality, load_campaign, resolve_target
from .html import build_report, write_pngs, write_report

__all__ = [
    "Campaign",
    "CampaignSource",
    "build_report",
    "campaign_quality",
    "load_campaign",
    "resolve_target",
    "write_pngs",
    "write_report",
]
