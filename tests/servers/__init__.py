"""Realistic fake REST APIs on 127.0.0.1, one module per API shape, for end-to-end connector tests."""

from .airtable import AirtableServer
from .base import ApiServer, RecordedRequest, Reply
from .capped import CappedPageServer
from .confluence import ConfluenceServer
from .dataset import SampleItem, sample_items
from .elasticsearch import ElasticsearchServer
from .github import GitHubServer
from .graphql import GraphQLServer
from .hubspot import HubSpotServer
from .jira import JiraServer
from .notion import NotionServer
from .odata import ODataServer
from .repeating import RepeatingLastPageServer
from .scripted import ScriptedServer
from .slack import SlackServer
from .stripe import StripeServer
from .window import UpdatedSinceServer
from .wordpress import WordPressServer
from .zendesk import ZendeskServer

__all__ = [
    "AirtableServer", "ApiServer", "CappedPageServer", "ConfluenceServer", "ElasticsearchServer",
    "GitHubServer", "GraphQLServer", "HubSpotServer", "JiraServer", "NotionServer", "ODataServer",
    "RecordedRequest", "RepeatingLastPageServer", "Reply", "SampleItem", "ScriptedServer", "SlackServer",
    "StripeServer", "UpdatedSinceServer", "WordPressServer", "ZendeskServer", "sample_items",
]
