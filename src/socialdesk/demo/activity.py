"""A few weeks of activity for the demo clients, built only through the domain services and importers.

For each client (:func:`seed_client`) this makes, in the
client's languages and about its trade (demo.data):

- **Inbox**: customer reviews imported from a CSV (``inbox.importing.import_reviews``, which makes the
  client's Reviews channel), aged from minutes to weeks so the response-time clocks show on-time,
  late, near-breach and breached conversations; then triage through the inbox service (assignee, tags,
  status, internal notes @-mentioning teammates) and, for all clients at the end, one escalation run.
- **Listening**: queries for the four topics (brand, competitor, campaign, industry) and about eight
  weeks of mentions imported from JSONL (``listening.importing.import_text``) with a daily rhythm,
  mixed sentiment and languages, authors with reach, hashtags and reposts (near duplicates).
- **Crisis** (one client, :data:`CRISIS_CLIENT`): a burst of negative mentions in the last hours about a
  defective product. The detector is run on it (``crisis.detection.run``) and the crisis room is opened
  from its alert, with the director's decisions, the community manager's steps and publishing paused.
- **Analytics**: the reporting currency, per-post metrics of posts made on networks without an API and
  paid results (``analytics.importing.import_csv``), campaigns to file them under.
- **Tracked links** with clicks and conversions (``links.service``), which the KPIs read.

No network is called and nothing here is polled later: the Reviews channel has no network adapter, so
neither the inbox sync nor the metrics collection ever picks it (both only take channels whose network
has an adapter), and the metrics import needs no channel at all. Account snapshots (followers) and the
post-based analytics (what works, best times) need channels on a real network and posts published
through them, so the demo has none: the dashboards say so in their own words.

Everything is drawn from a :class:`random.Random` seeded with the client's name, and dated relative to
``now``: two runs give the same counts.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.analytics import importing as analytics_import
from socialdesk.analytics import service as analytics_service
from socialdesk.analytics.schemas import ImportKind
from socialdesk.auth import service as auth_service
from socialdesk.auth.models import User
from socialdesk.clients.models import Client
from socialdesk.clients.schemas import Network
from socialdesk.config import Settings
from socialdesk.crisis import detection
from socialdesk.crisis import service as crisis_service
from socialdesk.crisis.schemas import CrisisOpen, CrisisType
from socialdesk.demo.data import BONDI, GIPFEL, HARBOR, LEDGER, MENYA, PEOPLE, ROUX
from socialdesk.inbox import importing as inbox_import
from socialdesk.inbox import service as inbox_service
from socialdesk.inbox import sla
from socialdesk.inbox.models import InboxItem
from socialdesk.inbox.schemas import ConversationPatch, InboxSettingsIn
from socialdesk.kit.authz import AgencyRole, Role
from socialdesk.links import service as links_service
from socialdesk.links.schemas import ConversionIn, LinkIn
from socialdesk.listening import importing as listening_import
from socialdesk.listening import service as listening_service
from socialdesk.listening.schemas import QueryIn
from socialdesk.publishing import service as publishing_service
from socialdesk.publishing.schemas import CampaignIn

DAYS = 56  # eight weeks of history
CRISIS_CLIENT = GIPFEL
# Share of a day's mentions per local hour: quiet nights, a busy day peaking mid-afternoon and evening.
RHYTHM = [0.15, 0.08, 0.05, 0.04, 0.05, 0.1, 0.3, 0.6, 0.9, 1.1, 1.2, 1.3,
          1.5, 1.4, 1.3, 1.3, 1.4, 1.6, 1.8, 1.9, 1.7, 1.3, 0.8, 0.4]
CLICK_RHYTHM = [0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.4, 0.9, 1.2, 1.2, 1.1, 1.2,
                1.5, 1.3, 1.1, 1.1, 1.2, 1.5, 1.8, 2.0, 2.0, 1.6, 1.0, 0.5]
USER_AGENTS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
)
PREVIEW_AGENTS = ("facebookexternalhit/1.1", "Slackbot-LinkExpanding 1.0", "WhatsApp/2.23", "LinkedInBot/1.0")
REFERRERS = {"instagram": "https://l.instagram.com/", "facebook": "https://l.facebook.com/",
             "linkedin": "https://www.linkedin.com/", "x": "https://t.co/", "bluesky": "https://bsky.app/",
             "tiktok": "https://www.tiktok.com/", "mastodon": None}

# Endings by language and intended tone. VADER (the sentiment model) reads English and emoji: a post in
# German, French or Japanese carries its tone through these, as people write them.
ENDINGS = {
    ("en", "+"): ["", "", "!", " 😊", " ❤", " ✨", " Highly recommend."],
    ("en", "-"): ["", "", ".", " 😞", " 😕", " Not impressed."],
    ("en", "0"): ["", "", "?", " Any ideas?"],
    ("de", "+"): [" 😊", " ❤", " 😍", " ✨"],
    ("de", "-"): [" 😞", " 😠", " 😢", " 😕"],
    ("de", "0"): ["", "", " 🤔"],
    ("fr", "+"): [" ❤", " 😍", " 😊", " ✨"],
    ("fr", "-"): [" 😞", " 😢", " 😕", " 😠"],
    ("fr", "0"): ["", "", " 🤔"],
    ("ja", "+"): [" ✨", " 😊", " ❤", " 😍"],
    ("ja", "-"): [" 😞", " 😢", " 😭", " 😕"],
    ("ja", "0"): ["", "", " 🤔"],
}

# How people start a post (tone-neutral words, so near-duplicate detection sees different posts).
OPENERS = {
    "en": ["Update: ", "Quick review: ", "Weekend report: ", "Note: ", "Real talk: ", "Day 2: ", "Hot take: ",
           "Small thing: "],
    "de": ["Kurzes Update: ", "Ehrlich: ", "Wochenendbericht: ", "Notiz: ", "Kurz gesagt: ", "Tag 2: "],
    "fr": ["Petit retour : ", "Franchement : ", "Mise à jour : ", "Bilan : ", "Note : ", "Samedi : "],
    "ja": ["【報告】", "【レビュー】", "今日は、", "久しぶりに、", "友達と、", "仕事帰りに、"],
}

FIRST_NAMES = {
    "en": ["amy", "ben", "carla", "dev", "ella", "finn", "grace", "hank", "isla", "jay", "kate", "liam", "maya",
           "nate", "olive", "paul", "quinn", "rosa", "sam", "tess", "uma", "vic", "will", "zoe"],
    "de": ["anna", "ben", "clara", "david", "emma", "felix", "greta", "hannes", "ida", "jonas", "karla", "lukas",
           "mia", "nils", "paula", "simon", "tilda", "yusuf"],
    "fr": ["alice", "bastien", "camille", "damien", "elise", "fanny", "gaspard", "hugo", "ines", "jules", "lea",
           "louis", "manon", "noe", "oscar", "pauline", "romain", "zoe"],
    "ja": ["aoi", "daiki", "haruka", "hina", "kaito", "ken", "mio", "ren", "riku", "sakura", "sora", "takumi",
           "yui", "yuto"],
}
HANDLE_WORDS = {
    "en": ["eats", "travels", "wine", "daily", "in_sf", "hikes", "codes", "writes", "cooks", "photo", "runs"],
    "de": ["wandert", "berlin", "draussen", "kocht", "radelt", "kiez", "unterwegs"],
    "fr": ["lyon", "gourmande", "mange", "voyage", "cuisine", "croixrousse"],
    "ja": ["ramen", "tokyo", "gohan", "tabearuki", "men", "noodle"],
}
SOURCES = ("bluesky", "mastodon", "x", "x", "bluesky")


@dataclass(frozen=True)
class Voice:
    """An author with reach: writes more often than most, and gets reposted."""

    handle: str
    name: str
    followers: int
    lang: str
    source: str = "bluesky"


@dataclass(frozen=True)
class Review:
    source: str
    author: str
    rating: int
    text: str
    age: str  # "3h", "2d", or "near" (just short of the limit)
    status: str = "new"
    tags: tuple[str, ...] = ()
    assignee: str = ""  # "cm" | "manager" | "director" | ""
    note: str = ""  # an internal note (by the community manager); "@name" mentions a teammate


@dataclass(frozen=True)
class LinkSpec:
    label: str
    destination: str
    network: str
    campaign: str = ""
    content: str = ""
    clicks: int = 0  # over the link's life (``days`` days up to now)
    days: int = 30
    previews: int = 0
    conversions: int = 0
    kind: str = "conversion"
    value: tuple[float, float] | None = None  # a range of order values


@dataclass(frozen=True)
class PaidSpec:
    network: str
    campaign: str
    ad: str
    first: int  # days ago of the first and last day with results
    last: int
    spend: float  # per day, in the client's currency
    cpm: float  # cost per thousand impressions
    ctr: float  # clicks per impression
    cvr: float  # conversions per click


@dataclass(frozen=True)
class PostSpec:
    network: str
    impressions: int  # a typical post's impressions after two weeks (None-like 0: not reported)
    rate: float  # engagements per impression
    per_week: float
    views: bool = False  # the network counts views (video)
    clicks: bool = True


@dataclass(frozen=True)
class Plan:
    """What one demo client's last weeks looked like."""

    slug: str
    currency: str
    reviews: list[Review]
    queries: list[tuple[str, str, str]]  # (name, topic, query text)
    templates: dict[str, list[tuple[str, str, str]]]  # topic -> [(lang, tone, text)]
    shares: dict[str, float]  # topic -> share of the mentions
    slots: dict[str, list[str]]
    voices: list[Voice]
    per_day: float  # mentions on an ordinary day now (fewer eight weeks ago)
    campaigns: list[tuple[str, int, int, str]]  # (name, starts days ago, ends in days, description)
    links: list[LinkSpec]
    paid: list[PaidSpec]
    posts: list[PostSpec]
    tags: dict[str, list[str]] = field(default_factory=dict)  # language -> hashtags people add
    inbox_rules: dict = field(default_factory=dict)
    crisis: bool = False


PLANS: dict[str, Plan] = {
    HARBOR: Plan(
        slug="harbor", currency="USD", per_day=22,
        tags={
            "en": ["#wine", "#winetasting", "#Carneros", "#NapaValley", "#pinotnoir", "#weekendvibes", "#BayArea",
                   "#winecountry", "#roadtrip", "#dogfriendly"],
        },
        reviews=[
            Review("Google", "Megan T.", 5, "Booked a weekday tasting online, no phone call needed. Our host walked us "
                   "through four Pinots and the view over Carneros was unreal. We'll be back for the release.",
                   "25m"),
            Review("Yelp", "Carlos R.", 2, "Lovely terrace, but we waited 35 minutes for our flight on Saturday and "
                   "nobody checked on us. For $45 a person I expected better.", "3h", "open", ("complaint",), "cm",
                   "Saturday was the harvest crowd; asking Elena whether we can offer a return visit."),
            Review("Tripadvisor", "Anne-Marie K.", 5, "Dog-friendly and unhurried. Sam the winemaker stopped by our table "
                   "and talked harvest for ten minutes. The estate Chardonnay is a new favourite.", "9h", "open",
                   ("praise",), "cm"),
            Review("Google", "Jared P.", 3, "Do you ship the small-lot Pinot Noir to Oregon? The website says "
                   "California only.", "near", "open", ("question",), "cm",
                   "@priya can you confirm with Elena which states we ship the small-lot Pinot to? Elena wants this "
                   "answered by DM only."),
            Review("Yelp", "Diane L.", 1, "Tried to cancel my wine club membership three times. Nobody calls back. "
                   "Very frustrating.", "30h", "waiting", ("complaint",), "manager",
                   "Passed to the cellar door team (concierge@); waiting for them to confirm the cancellation."),
            Review("Google", "Priscilla W.", 5, "The club pick-up party was wonderful. Great food, great people, and "
                   "the reserve Pinot is stunning.", "2d", "done", ("praise",), "cm"),
            Review("Tripadvisor", "Hank O.", 4, "Beautiful estate and a fair tasting fee. Parking fills up by noon on "
                   "weekends, come early.", "4d", "done", ("praise",), "cm"),
            Review("Google", "Lucy F.", 2, "Smoke from the fires made the terrace unbearable and nobody offered us a "
                   "table inside.", "5d", "done", ("complaint",), "cm",
                   "During the smoke advisory; Elena asked us to point people to the indoor tasting room."),
            Review("Yelp", "Omar S.", 5, "Best tasting in Carneros. No snobbery, just great wine and a host who "
                   "clearly loves the place.", "9d", "done", ("praise",)),
            Review("Google", "Ruth B.", 4, "Is the tasting room open on Mondays in winter?", "12d", "done",
                   ("question",), "cm"),
            Review("Tripadvisor", "Greg N.", 3, "Good wine, but the booking page kept timing out on my phone.", "19d",
                   "done", ("complaint",), "cm"),
            Review("Google", "Isabel M.", 5, "We got engaged on the terrace and the team brought us two glasses of "
                   "sparkling. Thank you, Harbor & Vine!", "27d", "done", ("praise",)),
            Review("Yelp", "Tom V.", 4, "Relaxed, friendly, and the rosé of Pinot is dangerously easy to drink.", "40d",
                   "done", ("praise",)),
        ],
        queries=[
            ("Harbor & Vine", "brand", '"harbor vine" OR "harbor and vine" OR harborandvine OR hashtag:HarborAndVine'),
            ("Tule Creek Cellars", "competitor", '"tule creek"'),
            ("Mariposa Ridge", "competitor", '"mariposa ridge"'),
            ("Wine club autumn", "campaign", '("wine club" AND (harbor OR harborandvine)) OR hashtag:HarborClub'),
            ("Carneros & Napa wine", "industry",
             "(carneros OR napa OR sonoma) AND (wine* OR tasting OR pinot OR chardonnay OR harvest)"),
        ],
        shares={"brand": 0.45, "competitor": 0.22, "campaign": 0.1, "industry": 0.23},
        slots={
            "wine": ["Pinot Noir", "Chardonnay", "rosé of Pinot", "sparkling brut", "reserve Pinot", "estate Chardonnay"],
            "day": ["on Saturday", "on Sunday", "on Friday afternoon", "this weekend", "yesterday"],
            "who": ["my wife", "my husband", "friends from Oakland", "my parents", "our book club", "my sister"],
            "spot": ["the terrace", "the cellar door", "the view over Carneros", "the cheese board", "the vineyard walk"],
        },
        templates={
            "brand": [
                ("en", "+", "Spent the afternoon at Harbor & Vine {day} with {who}. The {wine} was gorgeous and {spot} "
                            "is the best spot in Carneros."),
                ("en", "+", "Harbor & Vine's {wine} is exactly what I wanted tonight. Warm, unhurried, perfect. "
                            "#HarborAndVine"),
                ("en", "+", "Booked a weekday tasting at Harbor & Vine online in two minutes. Lovely host, great {wine}."),
                ("en", "+", "Dog-friendly terrace at Harbor & Vine {day}, our pup got more attention than we did 😊"),
                ("en", "+", "Picked up our shipment at Harbor & Vine {day}. The {wine} is a beauty this year. "
                            "#HarborAndVine #Carneros"),
                ("en", "0", "Does Harbor & Vine take walk-ins {day}? Looking at the {wine} flight"),
                ("en", "0", "Harbor & Vine tasting room hours during harvest? Planning a trip with {who}"),
                ("en", "-", "Waited 40 minutes for a table at Harbor & Vine {day}. The {wine} was fine but the service "
                            "was slow and disorganized"),
                ("en", "-", "Harbor & Vine's {wine} went up $8 a bottle. Disappointed and annoyed"),
                ("en", "-", "Smoke from the fires made {spot} at Harbor & Vine miserable {day}. Should have stayed home"),
            ],
            "competitor": [
                ("en", "+", "Tule Creek Cellars has a great {wine}, honestly a fun tasting room"),
                ("en", "-", "Tule Creek Cellars was so crowded and loud {day}. Not worth the drive"),
                ("en", "0", "Tule Creek or Harbor & Vine for a {wine} tasting with {who}? Opinions please"),
                ("en", "+", "Mariposa Ridge's new tasting lounge is beautiful, loved the {wine}"),
                ("en", "-", "Mariposa Ridge cancelled our reservation last minute. Terrible experience"),
                ("en", "0", "Mariposa Ridge is releasing a {wine} next month, anyone tried the barrel samples?"),
            ],
            "campaign": [
                ("en", "+", "Just joined the Harbor & Vine wine club! First access to the small-lot {wine} ❤ #HarborClub"),
                ("en", "+", "The Harbor & Vine wine club pick-up party was wonderful, great people and great {wine}. "
                            "#HarborClub"),
                ("en", "0", "Thinking about the Harbor & Vine wine club. Is the quarterly shipment worth it? #HarborClub"),
                ("en", "-", "Trying to cancel my Harbor & Vine wine club membership and nobody answers the phone. "
                            "Frustrating"),
            ],
            "industry": [
                ("en", "+", "Harvest is in full swing in Carneros, the whole valley smells like crushed grapes. Love this "
                            "time of year #NapaValley"),
                ("en", "+", "Best Napa tasting rooms for a relaxed weekend? Carneros wins every time for Pinot lovers"),
                ("en", "0", "Napa harvest report: yields down, quality up. Chardonnay picks started this week "
                            "#NapaValley"),
                ("en", "-", "Wildfire smoke over Napa again. Worried about smoke taint in this year's Pinot"),
                ("en", "-", "Sonoma tasting fees are getting ridiculous, $60 for four pours of wine"),
                ("en", "0", "Sonoma or Carneros for a {wine} tasting with {who} {day}?"),
            ],
        },
        voices=[
            Voice("napa_uncorked", "Napa Uncorked", 48_200, "en", "x"),
            Voice("sf_weekender", "The SF Weekender", 21_500, "en", "bluesky"),
            Voice("pinot_pilgrim", "Pinot Pilgrim", 9_800, "en", "bluesky"),
            Voice("sommelier_jess", "Jess, sommelier", 15_300, "en", "x"),
        ],
        campaigns=[
            ("Wine club autumn", 30, 40, "Grow the club before the October release: cellar video, pick-up party, "
                                         "sign-up landing page."),
            ("Harvest at the estate", 45, 10, "Drone shots of the first pick, meet the crew, the crush pad."),
        ],
        links=[
            LinkSpec("Wine club landing (Instagram)", "https://harborandvine.example.com/club", "instagram",
                     "Wine club autumn", "cellar-video", clicks=360, days=30, previews=25, conversions=34,
                     kind="club_signup"),
            LinkSpec("Tasting booking (Facebook)", "https://harborandvine.example.com/book", "facebook",
                     "", "weekday-tastings", clicks=300, days=34, previews=15),
            LinkSpec("Harvest story (Bluesky)", "https://harborandvine.example.com/journal/harvest", "bluesky",
                     "Harvest at the estate", "first-pick", clicks=50, days=20, previews=20),
        ],
        paid=[  # promoted posts paused five days ago, during the smoke advisory (the client log)
            PaidSpec("instagram", "Wine club autumn", "Cellar video – club", 30, 6, 45.0, 9.5, 0.011, 0.03),
            PaidSpec("facebook", "", "Weekday tastings – Bay Area", 40, 6, 25.0, 7.0, 0.009, 0.02),
        ],
        posts=[PostSpec("instagram", 6_500, 0.052, 1.5, views=True), PostSpec("facebook", 3_200, 0.031, 1.0)],
    ),
    GIPFEL: Plan(
        slug="gipfel", currency="EUR", per_day=28, crisis=True,
        tags={
            "de": ["#wandern", "#Brandenburg", "#Berlin", "#outdoor", "#draussen", "#Kreuzberg", "#mikroabenteuer",
                   "#regionalzug", "#nachhaltig"],
            "en": ["#hiking", "#Berlin", "#outdoors", "#camping", "#gear", "#expatlife", "#weekend", "#Brandenburg"],
        },
        reviews=[
            Review("Google", "Sebastian K.", 1, "Der gemietete Glut-2-Kocher war undicht, am Ventil kam eine "
                   "Stichflamme. Zum Glück ist niemand verletzt. Bitte prüft eure Mietgeräte!", "40m", "open",
                   ("complaint",), "cm", "Linked to the crisis room. @tomas please ask Jonas for the batch numbers."),
            Review("Trustpilot", "Hannah W.", 1, "Rented the Glut 2 stove for the weekend, it smelled of gas and the "
                   "valve leaked. Dangerous. I want a refund.", "2h", "new", ("complaint",), "cm"),
            Review("Google", "Markus B.", 5, "Super Beratung bei den Wanderschuhen, die Verkäuferin hat sich eine "
                   "halbe Stunde Zeit genommen. Danke!", "6h", "open", ("praise",), "cm"),
            Review("Trustpilot", "Chloe D.", 4, "Great repair café, they fixed my tent pole while I waited. Online "
                   "shop delivery was a bit slow though.", "11h", "open", ("praise",), "cm"),
            Review("Google", "Jens P.", 2, "Bestellung seit zwei Wochen unterwegs, keine Antwort auf meine Mails.",
                   "near", "waiting", ("complaint",), "manager",
                   "Handed to the shop team (laden@); waiting for the tracking number."),
            Review("Google", "Ayla S.", 3, "Kann man den Kinderschlafsack auch für eine Woche mieten?", "28h", "open",
                   ("question",), "cm"),
            Review("Trustpilot", "Frank L.", 5, "Honest advice, no upselling, and they told me to repair my old boots "
                   "instead of buying new ones. Rare.", "3d", "done", ("praise",), "cm"),
            Review("Google", "Nora E.", 4, "Toller Laden in Kreuzberg, nur samstags sehr voll.", "6d", "done", (), "cm"),
            Review("Google", "Ole M.", 1, "Die Daunenjacke aus dem Rückruf zurückgegeben, Geld kam erst nach drei "
                   "Wochen.", "15d", "done", ("complaint",), "cm"),
            Review("Trustpilot", "Greta H.", 5, "Mietausrüstung für die ganze Familie, alles sauber und komplett. "
                   "Gerne wieder!", "22d", "done", ("praise",)),
            Review("Google", "Paul R.", 4, "Repair café is a brilliant idea, came for a zip and left with a new "
                   "hobby.", "33d", "done", ("praise",)),
            Review("Google", "Lina V.", 5, "Beste Beratung in Berlin für Wanderschuhe.", "47d", "done", ("praise",)),
        ],
        queries=[
            ("Gipfelwerk", "brand", "gipfelwerk OR hashtag:Gipfelwerk OR mention:gipfelwerk"),
            ("Kiezkraxler", "competitor", "kiezkraxler"),
            ("Spreeberg Outdoor", "competitor", '"spreeberg outdoor" OR spreeberg'),
            ("Repair, don't replace", "campaign", '"repair cafe" OR hashtag:RepairDontReplace OR "reparieren statt"'),
            ("Wandern rund um Berlin", "industry",
             "(wander* OR hiking OR hike* OR camping OR zelt* OR trail*) AND "
             "(brandenburg OR berlin OR schweiz OR switzerland OR spreewald OR schorfheide OR barnim)"),
        ],
        shares={"brand": 0.42, "competitor": 0.2, "campaign": 0.13, "industry": 0.25},
        slots={
            "im": ["in der Märkischen Schweiz", "in der Sächsischen Schweiz", "im Spreewald", "in der Schorfheide",
                   "im Barnim", "in der Ruppiner Schweiz"],
            "route": ["Märkische Schweiz", "Saxon Switzerland", "Spreewald", "Schorfheide", "Barnim"],
            "kit": ["ein Zelt", "einen Rucksack", "einen Schlafsack", "eine Regenjacke", "eine Stirnlampe",
                    "Wanderstöcke"],
            "kit_en": ["tent", "backpack", "sleeping bag", "rain jacket", "headlamp", "pair of trekking poles"],
        },
        templates={
            "brand": [
                ("de", "+", "Bei Gipfelwerk {kit} gekauft, super Beratung und der Laden in Kreuzberg ist einfach "
                            "schön #Gipfelwerk"),
                ("de", "+", "Mit der Mietausrüstung von Gipfelwerk {im} gewesen. Alles top, gerne wieder"),
                ("en", "+", "Rented a {kit_en} from Gipfelwerk for a weekend in the {route}. Friendly staff, fair price, "
                            "great kit"),
                ("en", "+", "Gipfelwerk in Kreuzberg is the best outdoor shop in Berlin, honest advice and no upselling"),
                ("de", "0", "Hat Gipfelwerk am Samstag geöffnet? Brauche noch {kit} für die Tour {im}"),
                ("en", "0", "Does Gipfelwerk rent out a {kit_en} for kids? Planning a family trip to the {route}"),
                ("de", "-", "Online bei Gipfelwerk bestellt, nach zwei Wochen immer noch kein Paket"),
                ("en", "-", "Gipfelwerk's online shop charged me twice for the same {kit_en}. Still waiting for the "
                            "refund, annoying"),
                ("de", "-", "Die Schlange an der Kasse bei Gipfelwerk war heute endlos"),
            ],
            "competitor": [
                ("en", "+", "Kiezkraxler has a nice climbing corner, good selection of shoes"),
                ("de", "-", "Bei Kiezkraxler wollte ich {kit} zurückgeben, keine Chance"),
                ("de", "0", "Kiezkraxler oder Gipfelwerk für {kit}? Tipps?"),
                ("de", "+", "Spreeberg Outdoor hat gerade Sale, lohnt sich"),
                ("en", "-", "Spreeberg Outdoor sold me a {kit_en} that broke on day two. Terrible quality"),
                ("en", "0", "Spreeberg Outdoor opens a second store in Friedrichshain next month"),
            ],
            "campaign": [
                ("de", "+", "Im Repair Café bei Gipfelwerk {kit} flicken lassen. Reparieren statt wegwerfen "
                            "#RepairDontReplace"),
                ("en", "+", "The repair café at Gipfelwerk fixed my tent pole in ten minutes. Love this idea! "
                            "#RepairDontReplace"),
                ("de", "0", "Wann ist das nächste Repair Café bei Gipfelwerk? #RepairDontReplace"),
                ("en", "-", "Went to the repair cafe at Gipfelwerk but they ran out of time before my jacket. "
                            "Disappointed"),
                ("de", "+", "Reparieren statt wegwerfen: {kit} geflickt statt neu gekauft #RepairDontReplace"),
            ],
            "industry": [
                ("de", "+", "Traumhafte Wanderung {im} heute, Brandenburg kann so schön sein"),
                ("en", "+", "Perfect autumn hiking weekend in Brandenburg, the {route} is stunning right now"),
                ("de", "0", "Welche Wanderwege in Brandenburg sind mit dem Regionalzug gut erreichbar? #wandern"),
                ("en", "0", "Camping near Berlin: any tips for a quiet spot around the {route}?"),
                ("en", "-", "Trail in the {route} completely flooded, hiking boots ruined. Brandenburg in October"),
                ("de", "-", "Zeltplatz {im} total überfüllt und dreckig, camping macht so keinen Spaß"),
            ],
        },
        voices=[
            Voice("draussen_mit_mira", "Draußen mit Mira", 48_000, "de", "bluesky"),
            Voice("berlin_trails", "Berlin Trails", 23_400, "en", "x"),
            Voice("ultraleicht@social.example", "Ultraleicht-Jan", 6_100, "de", "mastodon"),
            Voice("kiezreporter", "Kiez Reporter", 31_000, "de", "x"),
        ],
        campaigns=[
            ("Repair, don't replace", 24, 4, "Four weeks of repair stories, the rental price list and a live Q&A "
                                             "from the repair café."),
            ("Winter sale e-mail list", 10, 40, "Grow the e-mail list before the winter sale."),
        ],
        links=[
            LinkSpec("Rental price list (Instagram)", "https://gipfelwerk.example.com/mieten", "instagram",
                     "Repair, don't replace", "price-list", clicks=300, days=24, previews=20),
            LinkSpec("Repair café sign-up (Mastodon)", "https://gipfelwerk.example.com/repair-cafe", "mastodon",
                     "Repair, don't replace", "repair-cafe", clicks=160, days=24, previews=40, conversions=24,
                     kind="lead"),
            LinkSpec("Online shop autumn (Facebook)", "https://gipfelwerk.example.com/shop/herbst", "facebook",
                     "", "autumn-shop", clicks=300, days=30, previews=15, conversions=100, kind="order",
                     value=(39.0, 260.0)),
        ],
        paid=[
            PaidSpec("instagram", "Repair, don't replace", "Repair café reel", 24, 1, 20.0, 6.0, 0.012, 0.02),
        ],
        posts=[PostSpec("instagram", 5_200, 0.047, 1.5, views=True),
               PostSpec("tiktok", 14_000, 0.061, 1.0, views=True, clicks=False)],
    ),
    MENYA: Plan(
        slug="menya", currency="JPY", per_day=30,
        tags={
            "ja": ["#ラーメン", "#東京グルメ", "#麺スタグラム", "#ランチ", "#ラーメン好き", "#恵比寿グルメ", "#中目黒ランチ", "#吉祥寺グルメ"],
            "en": ["#tokyofood", "#japantravel", "#ramenlover", "#foodie", "#tokyotrip", "#noodles", "#japan"],
        },
        reviews=[
            Review("Google", "Yuki T.", 5, "柚子塩らーめん、香りが良くてスープも澄んでいて最高でした。また来ます！", "50m"),
            Review("Tabelog", "ramen_ken", 3, "恵比寿店、平日昼でも30分待ち。味は文句なしだが回転をもう少し早くしてほしい。",
                   "4h", "open", ("complaint",), "cm"),
            Review("Tripadvisor", "Sophie L.", 5, "Best bowl of our Tokyo trip. The crew at the Ebisu counter were "
                   "so welcoming and the English menu made ordering easy.", "9h", "open", ("praise",), "cm"),
            Review("Google", "Mark H.", 3, "Is the vegetarian bowl available at the Kichijoji shop too?", "near",
                   "open", ("question",), "cm",
                   "@aiko is not on socialdesk; @priya can you check the vegetarian list with Aiko on Wednesday's call?"),
            Review("Tabelog", "noodle_mio", 2, "中目黒店、スープがぬるかった。店員さんは親切でした。", "31h", "waiting",
                   ("complaint",), "manager", "Asked the Nakameguro shop lead what happened at lunch that day."),
            Review("Google", "Daniel K.", 5, "Clear chicken shio broth, perfect noodles. Worth the queue.", "3d", "done",
                   ("praise",), "cm"),
            Review("Tripadvisor", "Emma R.", 4, "Great ramen, small shop, go early. Card payment accepted.", "6d", "done",
                   ("praise",)),
            Review("Google", "佐藤 健", 5, "鶏白湯が絶品。スタッフの元気な挨拶が気持ちいい。", "10d", "done", ("praise",), "cm"),
            Review("Tabelog", "tabearuki_aoi", 4, "季節限定の柚子塩、爽やかで美味しい。", "16d", "done", ("praise",)),
            Review("Google", "Liam P.", 2, "Ran out of the seasonal bowl by 1pm. Disappointing after a long trip "
                   "across town.", "24d", "done", ("complaint",), "cm"),
            Review("Tripadvisor", "Hana M.", 5, "Vegetarian option was delicious, thank you for the English menu!",
                   "38d", "done", ("praise",)),
            Review("Google", "高橋 さくら", 4, "吉祥寺店オープンおめでとうございます。家から近くて嬉しい。", "52d", "done",
                   ("praise",)),
        ],
        queries=[
            ("麺屋星空 / Menya Hoshizora", "brand",
             '"menya hoshizora" OR hoshizora OR 麺屋星空* OR hashtag:麺屋星空 OR hashtag:menyahoshizora'),
            ("Menya Kaze", "competitor", '"menya kaze" OR 麺屋かぜ*'),
            ("Tonkotsu Taro", "competitor", '"tonkotsu taro" OR とんこつ太郎*'),
            ("Yuzu-shio seasonal bowl", "campaign", '"yuzu shio" OR yuzushio OR 柚子塩* OR hashtag:柚子塩らーめん'),
            ("Tokyo ramen", "industry", "ramen OR tsukemen OR ラーメン* OR hashtag:ラーメン OR hashtag:tokyoramen"),
        ],
        shares={"brand": 0.25, "competitor": 0.45, "campaign": 0.12, "industry": 0.18},
        slots={
            "shop": ["恵比寿", "中目黒", "吉祥寺", "新宿", "渋谷", "池袋", "神田"],
            "shop_en": ["Ebisu", "Nakameguro", "Kichijoji", "Shinjuku", "Shibuya", "Ikebukuro", "Kanda"],
            "bowl": ["塩らーめん", "柚子塩らーめん", "鶏白湯", "つけ麺"],
            "bowl_en": ["shio ramen", "yuzu-shio bowl", "chicken paitan", "tsukemen", "vegetarian bowl"],
        },
        templates={
            "brand": [
                ("ja", "+", "麺屋星空 {shop}店の{bowl}、透き通ったスープが最高でした #麺屋星空 #ラーメン"),
                ("ja", "+", "今日のランチは麺屋星空。{bowl}が優しい味で幸せ #麺屋星空"),
                ("ja", "+", "麺屋星空 {shop}店、店員さんがとても親切でした。また行きます #麺屋星空"),
                ("ja", "0", "麺屋星空 {shop}店、平日の昼は何分くらい並びますか？ #麺屋星空"),
                ("ja", "-", "麺屋星空 {shop}店、40分並んだのにスープがぬるかった #麺屋星空"),
                ("ja", "-", "麺屋星空の{bowl}、値上げしてから量が減った気がする"),
                ("en", "+", "Menya Hoshizora in {shop_en} was the best bowl of our Tokyo trip. That clear chicken shio "
                            "broth #ramen"),
                ("en", "+", "Found Menya Hoshizora thanks to Instagram, the {bowl_en} was amazing and they had an "
                            "English menu"),
                ("en", "0", "Is there a vegetarian option at Menya Hoshizora {shop_en}? Visiting Tokyo next week "
                            "#tokyoramen"),
                ("en", "-", "Menya Hoshizora {shop_en} queue was 90 minutes and they ran out of the {bowl_en}. So "
                            "disappointing"),
            ],
            "competitor": [
                ("ja", "+", "麺屋かぜ {shop}店の煮干しそば、めちゃくちゃ美味しい"),
                ("ja", "-", "麺屋かぜ {shop}店、接客が雑で残念"),
                ("en", "0", "Menya Kaze vs Menya Hoshizora for shio ramen in {shop_en}? #tokyoramen"),
                ("en", "+", "Tonkotsu Taro in {shop_en} is rich and creamy, great late-night ramen"),
                ("en", "-", "Tonkotsu Taro was way too salty and greasy for me. Terrible"),
                ("ja", "0", "とんこつ太郎 {shop}店が来月オープンらしい"),
            ],
            "campaign": [
                ("ja", "+", "柚子塩らーめん始まりました！麺屋星空の季節限定、爽やかで最高 #柚子塩らーめん #麺屋星空"),
                ("ja", "0", "柚子塩らーめんは{shop}店でも食べられますか？ #麺屋星空"),
                ("en", "+", "The seasonal yuzu-shio bowl at Menya Hoshizora {shop_en} is bright and fresh, loved it! "
                            "#yuzushio"),
                ("en", "-", "Tried the yuzu shio bowl at Menya Hoshizora, way too sour for me. Disappointing"),
                ("ja", "-", "柚子塩、ちょっと酸っぱすぎた #麺屋星空"),
            ],
            "industry": [
                ("en", "+", "Tokyo ramen crawl day 3: {shop_en} has the best ramen shops per square metre. Happy "
                            "#tokyoramen"),
                ("en", "0", "Ramen etiquette question: is it rude to not finish the broth? #ramen"),
                ("ja", "+", "東京のラーメン巡り、今日は{shop}で3杯 #ラーメン"),
                ("ja", "-", "ラーメン屋の行列マナー悪すぎる #ラーメン"),
                ("en", "-", "Ramen prices in Tokyo keep going up, ¥1,400 for a basic bowl now. Sad #ramen"),
                ("en", "0", "New tsukemen spot opening in {shop_en} next month #tokyoramen"),
            ],
        },
        voices=[
            Voice("tokyo_noodle_diary", "Tokyo Noodle Diary", 86_000, "en", "x"),
            Voice("ramen_hunter_jp", "ラーメンハンター", 54_000, "ja", "x"),
            Voice("eatjapan_sara", "Sara eats Japan", 12_700, "en", "bluesky"),
        ],
        campaigns=[
            ("Yuzu-shio seasonal bowl", 20, 70, "The quarter's seasonal bowl: counter-view video, a week of crew "
                                                "favourites per shop."),
        ],
        links=[
            LinkSpec("English menu (Instagram bio)", "https://menya-hoshizora.example.com/en/menu", "instagram",
                     "", "bio", clicks=150, days=30, previews=10),
            LinkSpec("Yuzu-shio launch (X)", "https://menya-hoshizora.example.com/seasonal", "x",
                     "Yuzu-shio seasonal bowl", "launch", clicks=110, days=20, previews=30),
        ],
        paid=[],
        posts=[PostSpec("instagram", 18_000, 0.064, 2.0, views=True), PostSpec("x", 9_000, 0.021, 1.5)],
    ),
    BONDI: Plan(
        slug="bondi", currency="AUD", per_day=9,
        tags={
            "en": ["#Sydney", "#EasternSuburbs", "#familyhealth", "#Bondi", "#parenting", "#teeth", "#Randwick",
                   "#Coogee"],
        },
        inbox_rules={"target_minutes": 240, "limit_minutes": 720, "clock": "business"},
        reviews=[
            Review("Google", "Chloe B.", 5, "I am terrified of dentists and the team in Randwick were so gentle. "
                   "They explained every step and the price before starting.", "30m"),
            Review("HealthEngine", "Ravi S.", 3, "Do you bulk bill the child dental benefit for check-ups?", "2h", "open",
                   ("question",), "cm"),
            Review("Google", "Patricia M.", 2, "Waited 40 minutes past my appointment at Bondi. Nobody told us why.",
                   "near", "open", ("complaint",), "cm",
                   "@nathan isn't on socialdesk; @priya please forward to Nathan, he wants to call this patient."),
            Review("Google", "Tom W.", 4, "Saturday morning check-up for both kids, done before footy. Brilliant.",
                   "20h", "open", ("praise",), "cm"),
            Review("HealthEngine", "Jenny K.", 1, "Charged a cancellation fee when my son was sick. Not fair.", "2d",
                   "waiting", ("complaint",), "manager", "Nathan is reviewing the fee; waiting for his answer."),
            Review("Google", "Ahmed F.", 5, "Step-free access and parking right out the front. Thank you for being "
                   "patient with my dad.", "4d", "done", ("praise",), "cm"),
            Review("Google", "Lisa O.", 4, "Easy online booking, friendly reception.", "8d", "done", ("praise",)),
            Review("HealthEngine", "Ben C.", 3, "Good care, but parking in Bondi is a nightmare on weekdays.", "13d",
                   "done", ("complaint",), "cm"),
            Review("Google", "Maria G.", 5, "Best experience I've had at a dentist. Calm and clear.", "21d", "done",
                   ("praise",)),
            Review("Google", "Steve P.", 2, "Hard to get an evening appointment in Coogee.", "35d", "done",
                   ("complaint",), "cm"),
            Review("HealthEngine", "Olivia N.", 5, "The kids actually look forward to their check-ups now.", "49d",
                   "done", ("praise",)),
        ],
        queries=[
            ("Bondi Bright Dental", "brand", '"bondi bright" OR bondibrightdental OR hashtag:BondiBrightDental'),
            ("Coogee Smiles", "competitor", '"coogee smiles"'),
            ("Eastside Dental Co", "competitor", '"eastside dental"'),
            ("Saturday slots in Randwick", "campaign", 'hashtag:SaturdaySmiles OR ("bondi bright" AND saturday)'),
            ("Sydney dental", "industry",
             '(dentist OR dental OR orthodontist) AND (sydney OR bondi OR randwick OR coogee OR newtown OR '
             '"inner west")'),
        ],
        shares={"brand": 0.42, "competitor": 0.2, "campaign": 0.12, "industry": 0.26},
        slots={
            "clinic": ["Bondi", "Randwick", "Coogee", "Newtown"],
            "care": ["check-up", "clean", "filling", "kids' check-up", "night guard fitting"],
            "who": ["my daughter", "my son", "my partner", "Mum", "the kids"],
        },
        templates={
            "brand": [
                ("en", "+", "Nervous about dentists but the team at Bondi Bright Dental in {clinic} was so gentle. "
                            "Thank you"),
                ("en", "+", "Booked a {care} for {who} online at Bondi Bright Dental in two minutes, easy and friendly"),
                ("en", "+", "Bondi Bright Dental explained the price before the {care}, no surprises. Really appreciate "
                            "that, thank you"),
                ("en", "0", "Does Bondi Bright Dental {clinic} bulk bill the child dental benefit? #dentist"),
                ("en", "0", "Anyone know if Bondi Bright Dental has step-free access at the {clinic} clinic?"),
                ("en", "-", "Waited 40 minutes past my appointment at Bondi Bright Dental {clinic}. Not happy at all, "
                            "frustrating"),
                ("en", "-", "Bondi Bright Dental charged a cancellation fee when I was sick. Pretty unfair"),
            ],
            "competitor": [
                ("en", "+", "Coogee Smiles were lovely with {who}, great with nervous kids"),
                ("en", "-", "Coogee Smiles quoted $300 more than anywhere else for a crown. Awful, avoid"),
                ("en", "0", "Coogee Smiles or Bondi Bright for a family dentist in the eastern suburbs?"),
                ("en", "+", "Eastside Dental Co has late appointments on Thursdays, great for working parents"),
                ("en", "-", "Eastside Dental Co lost my x-rays twice. Frustrating"),
            ],
            "campaign": [
                ("en", "+", "Saturday morning {care} at Bondi Bright Dental Randwick, no school runs missed. Brilliant! "
                            "#SaturdaySmiles"),
                ("en", "0", "Are there still Saturday slots at Bondi Bright Randwick this month? #SaturdaySmiles"),
                ("en", "-", "Tried to book a Saturday at Bondi Bright Randwick, fully booked for weeks. Disappointing"),
            ],
            "industry": [
                ("en", "+", "Found a great dentist in {clinic} finally, no more dreading check-ups"),
                ("en", "0", "Sydney dental prices compared: a check-up and clean ranges from $180 to $320"),
                ("en", "-", "Dental costs in Sydney are insane, $250 for a clean in {clinic}. Ridiculous"),
                ("en", "0", "Any orthodontist in the inner west with payment plans? #dentist"),
            ],
        },
        voices=[
            Voice("eastern_suburbs_mum", "Eastern Suburbs Mum", 27_000, "en", "x"),
            Voice("sydney_health_news", "Sydney Health News", 64_000, "en", "bluesky"),
        ],
        campaigns=[
            ("Saturday slots in Randwick", 11, 3, "A small boosted post for parents: 150 AUD over two weeks."),
            ("New patients", 50, 60, "Always-on: new-patient appointments at the four clinics."),
        ],
        links=[
            LinkSpec("Book online – Saturday Randwick", "https://bondibrightdental.example.com/book?clinic=randwick",
                     "facebook", "Saturday slots in Randwick", "saturday", clicks=110, days=11, previews=10,
                     conversions=48, kind="lead"),
            LinkSpec("Book online – new patients", "https://bondibrightdental.example.com/book", "instagram",
                     "New patients", "bio", clicks=190, days=34, previews=10, conversions=105, kind="lead"),
        ],
        paid=[
            PaidSpec("facebook", "Saturday slots in Randwick", "Saturday check-ups for parents", 11, 0, 11.0, 8.0,
                     0.014, 0.02),
            PaidSpec("facebook", "New patients", "New patients – eastern suburbs", 50, 0, 24.0, 9.0, 0.012, 0.022),
        ],
        posts=[PostSpec("facebook", 2_400, 0.028, 1.0), PostSpec("instagram", 3_100, 0.041, 1.5)],
    ),
    LEDGER: Plan(
        slug="ledger", currency="CAD", per_day=26,
        tags={
            "en": ["#freelance", "#smallbiz", "#cdnbiz", "#selfemployed", "#invoicing", "#Toronto", "#Vancouver",
                   "#solopreneur"],
            "fr": ["#travailleurautonome", "#Montréal", "#pigiste", "#PME", "#Québec"],
        },
        reviews=[
            Review("App Store", "freelance_fern", 5, "Finally stopped panicking about taxes. The set-aside tracker "
                   "alone is worth it.", "15m"),
            Review("Google Play", "Marc-André L.", 2, "La synchronisation bancaire ne fonctionne plus depuis trois "
                   "jours.", "5h", "open", ("complaint",), "cm",
                   "Known Desjardins sync issue; support ticket opened in the app. Never ask for account details here."),
            Review("Trustpilot", "Priyanka D.", 4, "Invoices look professional and clients pay faster. I wish the "
                   "mileage tracker exported to CSV.", "10h", "open", ("praise",), "cm"),
            Review("App Store", "contractor_dan", 3, "Does the app handle HST quick method?", "near", "open",
                   ("question",), "cm",
                   "@tomas Daniel must approve anything tax-related; can you get his wording for the quick method?"),
            Review("Google Play", "Beth W.", 1, "Raised the pro plan price again with two weeks notice. Looking at "
                   "alternatives.", "30h", "waiting", ("complaint",), "manager",
                   "Asked Aisha whether existing users keep their price until renewal."),
            Review("Trustpilot", "Olu A.", 5, "Export for my accountant took one click. Brilliant.", "3d", "done",
                   ("praise",), "cm"),
            Review("App Store", "designer_kim", 4, "Clean app, plain language, no jargon.", "7d", "done", ("praise",)),
            Review("Google Play", "Sylvie G.", 4, "Très pratique pour les acomptes provisionnels.", "12d", "done",
                   ("praise",), "cm"),
            Review("Trustpilot", "Rob T.", 2, "Support took four days to answer a login question.", "20d", "done",
                   ("complaint",), "cm"),
            Review("App Store", "maker_mo", 5, "Ten minutes a week and my books are done, from my phone.", "31d",
                   "done", ("praise",)),
            Review("Google Play", "spammy_deals", 1, "Make $5000 a week from home, click my profile!!!", "44d", "done",
                   ("spam",), "cm"),
        ],
        queries=[
            ("Ledgerleaf", "brand", 'ledgerleaf OR "ledger leaf" OR mention:ledgerleaf'),
            ("Tallybird", "competitor", "tallybird"),
            ("Paperfox", "competitor", "paperfox"),
            ("Tax Tip Tuesday", "campaign", 'hashtag:TaxTipTuesday OR "tax tip tuesday"'),
            ("Freelancer taxes in Canada", "industry",
             '(freelanc* OR contractor* OR "self employed" OR travailleur*) AND '
             "(tax* OR hst OR gst OR cra OR impôt* OR invoice* OR acompte*)"),
        ],
        shares={"brand": 0.2, "competitor": 0.52, "campaign": 0.1, "industry": 0.18},
        slots={
            "bank": ["RBC", "TD", "Desjardins", "Scotiabank", "BMO"],
            "job": ["designer", "developer", "photographer", "electrician", "copywriter"],
        },
        templates={
            "brand": [
                ("en", "+", "Ledgerleaf finally made me set aside tax every month. First April without panic as a "
                            "{job}. Love it"),
                ("en", "+", "Switched to Ledgerleaf for invoicing and love it: clients pay faster and the invoices "
                            "look professional"),
                ("fr", "+", "Ledgerleaf m'aide enfin à mettre de côté pour les impôts, merci"),
                ("en", "0", "Does Ledgerleaf export to my accountant's software? Asking before I pay for the year"),
                ("fr", "0", "Est-ce que Ledgerleaf gère la TVQ pour le Québec?"),
                ("en", "-", "Ledgerleaf bank sync with {bank} has been broken for three days. Can't reconcile anything, "
                            "frustrating"),
                ("en", "-", "Ledgerleaf raised the price of the pro plan again. Disappointed"),
            ],
            "competitor": [
                ("en", "+", "Tallybird has a nice mileage tracker, I'll give them that"),
                ("en", "-", "Tallybird support took a week to answer a simple question. Terrible"),
                ("en", "0", "Tallybird vs Ledgerleaf for a freelance {job} in Ontario?"),
                ("en", "+", "Paperfox receipt scanning is really good"),
                ("en", "-", "Paperfox crashed during my quarterly instalment, lost an hour of work"),
                ("fr", "0", "Paperfox ou Tallybird pour un {job} au Québec?"),
            ],
            "campaign": [
                ("en", "+", "Today's #TaxTipTuesday from Ledgerleaf on home office expenses was genuinely useful, "
                            "thanks"),
                ("en", "0", "#TaxTipTuesday: set aside 25-30% of every invoice until you know your real rate"),
                ("en", "-", "This week's #TaxTipTuesday was too basic, I expected more detail on HST. "
                            "Disappointing"),
            ],
            "industry": [
                ("en", "+", "First year freelancing as a {job} and I filed my taxes on time. Proud of myself"),
                ("en", "0", "Reminder for contractors: HST returns are due at the end of the month #freelance"),
                ("en", "-", "CRA instalment reminders for freelancers are so confusing. Hate this part of the job"),
                ("fr", "0", "Travailleurs autonomes: n'oubliez pas vos acomptes provisionnels d'impôt #freelance"),
                ("fr", "-", "Les impôts pour travailleur autonome, quel casse-tête"),
            ],
        },
        voices=[
            Voice("moneywise_maya", "Maya | money for creatives", 180_000, "en", "x"),
            Voice("devtaxes_ca", "Dev Taxes Canada", 14_200, "en", "bluesky"),
            Voice("lapigiste", "La Pigiste", 9_300, "fr", "mastodon"),
        ],
        campaigns=[
            ("Filing season", 40, 120, "Weekly tax tip Tuesday, a live Q&A with a partner accountant, reminders."),
            ("Sales-tax waitlist", 35, 60, "Build the waitlist for the sales-tax filing feature."),
        ],
        links=[
            LinkSpec("Pricing page (LinkedIn carousel)", "https://ledgerleaf.example.com/pricing", "linkedin",
                     "Filing season", "carousel", clicks=320, days=30, previews=40, conversions=300, kind="signup",
                     value=(12.0, 18.0)),
            LinkSpec("Sales-tax waitlist (Instagram)", "https://ledgerleaf.example.com/sales-tax", "instagram",
                     "Sales-tax waitlist", "story", clicks=260, days=30, previews=15, conversions=240, kind="lead"),
        ],
        paid=[
            PaidSpec("linkedin", "Filing season", "Contractor carousel", 34, 0, 60.0, 28.0, 0.008, 0.16),
            PaidSpec("instagram", "Sales-tax waitlist", "Waitlist story", 30, 0, 25.0, 7.5, 0.01, 0.2),
        ],
        posts=[PostSpec("linkedin", 4_800, 0.036, 1.5), PostSpec("instagram", 3_900, 0.029, 1.0)],
    ),
    ROUX: Plan(
        slug="roux", currency="EUR", per_day=14,
        tags={
            "fr": ["#Lyon", "#CroixRousse", "#levain", "#patisserie", "#lyonfood", "#faitmaison", "#viennoiserie",
                   "#petitdejeuner"],
            "en": ["#Lyon", "#foodtravel", "#France", "#pastry", "#bakery", "#travelfrance"],
        },
        reviews=[
            Review("Google", "Camille P.", 5, "La brioche du dimanche est toujours aussi bonne, et la précommande "
                   "évite la queue. Merci !", "20m"),
            Review("TheFork", "Julien R.", 2, "Plus rien à 9h30 samedi, et personne pour nous dire s'il y aurait une "
                   "deuxième fournée.", "3h", "open", ("complaint",), "cm",
                   "@tomas on ajoute une deuxième fournée le samedi ? Claire doit valider avec Hugo."),
            Review("Tripadvisor", "Emily S.", 5, "The best croissant of our trip to Lyon. Flaky, buttery, and the "
                   "staff were patient with our French.", "8h", "open", ("praise",), "cm"),
            Review("Google", "Mathieu L.", 3, "Vous faites des gâteaux d'anniversaire sur commande ?", "near", "open",
                   ("question",), "cm"),
            Review("Google", "Sandrine V.", 1, "Précommande de brioche oubliée dimanche dernier, on est reparti les "
                   "mains vides.", "2d", "waiting", ("complaint",), "manager",
                   "Claire veut l'appeler elle-même ; en attente de son retour."),
            Review("TheFork", "Hélène D.", 5, "Le pain au levain est une merveille, bravo au fournil.", "5d", "done",
                   ("praise",), "cm"),
            Review("Google", "Pierre M.", 4, "Très bon pain, un peu d'attente le samedi.", "9d", "done", (), "cm"),
            Review("Tripadvisor", "Nina K.", 5, "Go before 8 for the pain aux raisins straight from the oven.", "15d",
                   "done", ("praise",)),
            Review("Google", "Bernard C.", 2, "Prix de la baguette en hausse, dommage.", "26d", "done",
                   ("complaint",), "cm"),
            Review("Google", "Lucie A.", 5, "Une boulangerie de quartier comme on les aime.", "43d", "done",
                   ("praise",)),
        ],
        queries=[
            ("Maison Roux", "brand", '"maison roux" OR hashtag:MaisonRoux OR mention:maisonroux'),
            ("Le Fournil du Plateau", "competitor", '"fournil du plateau"'),
            ("Boulangerie Saint-Vincent", "competitor", '"saint vincent" AND (boulangerie OR pain OR brioche OR '
                                                        "pastries OR bakery)"),
            ("Brioche du dimanche", "campaign", 'hashtag:BriocheDuDimanche OR ("maison roux" AND brioche)'),
            ("Boulangeries lyonnaises", "industry",
             '(boulangerie OR boulangeries OR boulanger* OR levain OR viennoiserie* OR bakery) AND '
             '(lyon OR "croix rousse" OR croixrousse)'),
        ],
        shares={"brand": 0.45, "competitor": 0.2, "campaign": 0.12, "industry": 0.23},
        slots={
            "item": ["brioche", "pain au levain", "croissant", "pain aux raisins", "tarte aux pralines",
                     "baguette tradition"],
            "item_en": ["brioche", "sourdough", "croissant", "praline tart"],
            "day": ["samedi", "dimanche", "ce matin", "mardi"],
        },
        templates={
            "brand": [
                ("fr", "+", "La {item} de Maison Roux {day}, encore tiède #MaisonRoux #Lyon"),
                ("fr", "+", "Maison Roux, toujours le meilleur accueil de la Croix-Rousse"),
                ("en", "+", "Maison Roux in Lyon: the best {item_en} of our trip, flaky and buttery. Go early"),
                ("fr", "0", "Maison Roux est ouverte le lundi ? #Lyon"),
                ("fr", "0", "Quelqu'un sait à quelle heure sort la {item} chez Maison Roux ?"),
                ("fr", "-", "Plus de {item} chez Maison Roux à 9h {day}, déçue"),
                ("en", "-", "Maison Roux was sold out of everything by 10am and the staff seemed annoyed. "
                            "Disappointed"),
                ("fr", "-", "Une heure de queue chez Maison Roux {day}"),
            ],
            "competitor": [
                ("fr", "+", "Le Fournil du Plateau fait une {item} vraiment top"),
                ("fr", "-", "Le Fournil du Plateau, croissant sec et cher"),
                ("fr", "0", "Fournil du Plateau ou Maison Roux pour la galette cette année ?"),
                ("en", "+", "Boulangerie Saint-Vincent has lovely pastries, great coffee too"),
                ("fr", "-", "Boulangerie Saint-Vincent a encore augmenté le prix du pain"),
            ],
            "campaign": [
                ("fr", "+", "Ma brioche du dimanche Maison Roux réservée, plus de queue #BriocheDuDimanche"),
                ("fr", "0", "Les précommandes de brioche du dimanche ouvrent quand chez Maison Roux ? "
                            "#BriocheDuDimanche"),
                ("fr", "-", "Précommande Maison Roux oubliée, pas de brioche ce dimanche #BriocheDuDimanche"),
                ("en", "+", "Pre-ordered the Sunday brioche at Maison Roux, skipped the whole queue. Brilliant idea! "
                            "#BriocheDuDimanche"),
            ],
            "industry": [
                ("fr", "+", "Lyon a les meilleures boulangeries, change my mind #Lyon #boulangerie"),
                ("fr", "0", "Une boulangerie au levain naturel vers la Croix-Rousse à recommander ? #Lyon"),
                ("fr", "-", "Encore une boulangerie qui ferme à Lyon #boulangerie"),
                ("en", "+", "Lyon bakery crawl: sourdough, pralines and far too much butter. Love this city"),
                ("en", "-", "Bakery prices in Lyon have gone up so much this year, sad"),
            ],
        },
        voices=[
            Voice("lyon_gourmand", "Lyon Gourmand", 38_000, "fr", "x"),
            Voice("croixrousse_news", "Croix-Rousse Infos", 11_500, "fr", "bluesky"),
            Voice("pastry_passport", "Pastry Passport", 22_000, "en", "bluesky"),
        ],
        campaigns=[
            ("Brioche du dimanche", 56, 60, "Weekly Sunday brioche pre-orders."),
            ("Apprentis boulangers", 13, 30, "Recruit two apprentice bakers: pinned post, neighbourhood groups."),
        ],
        links=[],  # pre-orders are counted by the shop's own system: the paid results carry them
        paid=[
            PaidSpec("instagram", "Brioche du dimanche", "Précommande brioche – Lyon", 56, 0, 14.0, 5.0, 0.02, 0.38),
            PaidSpec("facebook", "Apprentis boulangers", "Offre apprenti – Croix-Rousse", 13, 0, 6.0, 4.0, 0.015,
                     0.01),
        ],
        posts=[PostSpec("instagram", 4_100, 0.071, 2.0, views=True), PostSpec("facebook", 1_900, 0.038, 1.0)],
    ),
}

# The product defect behind the crisis client's burst: a rental camping stove whose valve leaks.
CRISIS_LINES = [
    ("en", "My rental stove from Gipfelwerk started leaking gas at the valve and flared up. Could have burned the "
           "tent. Dangerous!"),
    ("de", "Mietkocher von Gipfelwerk undicht, Stichflamme am Ventil! Zum Glück ist nichts passiert 😠 #Gipfelwerk"),
    ("en", "Same here: Gipfelwerk Glut 2 stove leaking at the valve, flames everywhere. Is there a recall? 😠"),
    ("de", "Der Glut 2 Kocher von Gipfelwerk ist lebensgefährlich, Ventil undicht ⚠ Bitte sofort zurückrufen!"),
    ("en", "Gipfelwerk needs to recall the Glut 2 rental stoves NOW. Gas leak, fire, scared kids. Unacceptable."),
    ("en", "Seeing lots of posts about leaking Gipfelwerk stoves. Mine smelled of gas too. Scary 😞"),
    ("de", "Gipfelwerk, was ist mit euren Mietkochern los? Gasgeruch und Flammen am Ventil 😢"),
    ("en", "Don't rent the Glut 2 stove from Gipfelwerk, the valve leaks. Terrible and dangerous."),
    ("de", "Glut 2 von Gipfelwerk {im}: Ventil undicht, Gas riecht man sofort ⚠ #Gipfelwerk"),
    ("en", "Gipfelwerk Glut 2 leak in the {route} this weekend. Fire risk, awful. Who is checking these rentals?"),
    ("en", "Rented {kit_en} and a Glut 2 stove from Gipfelwerk. The stove leaked gas all night. Never again."),
    ("de", "Unser Glut 2 von Gipfelwerk hat {im} Gas verloren, die Kinder hatten Angst 😢"),
    ("en", "Gipfelwerk, your Glut 2 rental stove is a fire hazard. Leaking valve, scary flare-up. Fix this."),
    ("de", "Kocher von Gipfelwerk zurückgebracht: Ventil undicht, Stichflamme {im} 😠 Wer prüft das?"),
]
CRISIS_QUESTIONS = [
    ("en", "Has Gipfelwerk said anything about the stove leaks yet?"),
    ("de", "Hat jemand von Gipfelwerk schon reagiert wegen der Kocher?"),
    ("en", "Is it only the Glut 2 or other Gipfelwerk rental stoves too?"),
]
CRISIS_VIRAL = ("draussen_mit_mira", "de", "Achtung Leute: der Glut 2 Mietkocher von Gipfelwerk ist undicht, bei uns "
                                            "gab es eine Stichflamme am Ventil. Nicht benutzen! ⚠ #Gipfelwerk")


# --- the summary --------------------------------------------------------------------------------


@dataclass
class ActivitySummary:
    """What was made for one client (the CLI prints it, the tests compare two runs)."""

    reviews: int = 0
    conversations: int = 0
    triaged: int = 0
    notes: int = 0
    queries: int = 0
    mentions: int = 0
    near_duplicates: int = 0
    unmatched: int = 0
    crisis_alert: bool = False
    crisis_id: int | None = None
    campaigns: int = 0
    links: int = 0
    clicks: int = 0
    conversions: int = 0
    post_metric_rows: int = 0
    paid_rows: int = 0

    def counts(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "crisis_id"}


# --- helpers ----------------------------------------------------------------------------------------


class _Slots(dict):
    """Placeholders filled at random from the plan's slots (each use draws again)."""

    def __init__(self, rng: random.Random, pools: dict[str, list[str]]):
        super().__init__()
        self.rng, self.pools = rng, pools

    def __missing__(self, key: str) -> str:
        return self.rng.choice(self.pools[key])


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _age(value: str) -> timedelta:
    number, unit = float(value[:-1]), value[-1]
    return timedelta(minutes=number) if unit == "m" else timedelta(hours=number) if unit == "h" else timedelta(
        days=number)


def _moment(rng: random.Random, now: datetime, zone: ZoneInfo, days_ago: int, rhythm: list[float]) -> datetime:
    """A time on the local day ``days_ago`` days before today, at an hour drawn from the rhythm (a time still
    to come today moves to the same hour yesterday)."""
    day = now.astimezone(zone).date() - timedelta(days=days_ago)
    hour = rng.choices(range(24), weights=rhythm)[0]
    at = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), zone).astimezone(UTC)
    if at > now - timedelta(minutes=20):
        at -= timedelta(days=1)
    return at


def _csv(header: Iterable[str], rows: Iterable[Iterable]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


@dataclass
class _Team:
    """The people of one client as the demo uses them (each falls back to the director)."""

    director: User
    manager: User
    cm: User
    creator: User
    teammates: set[int]

    def get(self, key: str) -> User | None:
        return {"director": self.director, "manager": self.manager, "cm": self.cm, "creator": self.creator}.get(key)


def _team(session: Session, client: Client, users: dict[str, User]) -> _Team:
    mates = {u.id for u in inbox_service.teammates(session=session, client_id=client.id)}
    director = next((users[p.email] for p in PEOPLE if p.agency_role == AgencyRole.OWNER and p.email in users), None)
    if director is None or not director.is_active or director.agency_role not in (AgencyRole.OWNER,
                                                                                  AgencyRole.DIRECTOR):
        director = session.scalar(select(User).where(User.agency_role.in_([AgencyRole.OWNER, AgencyRole.DIRECTOR]),
                                                     User.is_active.is_(True)).order_by(User.id))

    def holder(role: Role) -> User:
        for person in PEOPLE:
            user = users.get(person.email)
            if person.roles.get(client.name) == role and user is not None and user.id in mates:
                return user
        return director

    return _Team(director, holder(Role.MANAGER), holder(Role.COMMUNITY_MANAGER), holder(Role.CONTENT_CREATOR),
                 mates)


# --- inbox --------------------------------------------------------------------------------------------


def _near_age(rules, hours: sla.OfficeWeek, now: datetime) -> timedelta:
    """An age whose limit comes within the warning window (about half of it left), on the client's clock;
    on a business clock outside office hours no age does, and the best found is used."""
    warn = timedelta(minutes=max(rules.near_breach_minutes, 10))
    limit = rules.limit_minutes
    best, best_gap = timedelta(minutes=limit), None
    for minutes in range(max(limit - int(warn.total_seconds() // 60), 5), limit * 6, 5):
        start = now - timedelta(minutes=minutes)
        left = sla.deadline(rules, start, limit, hours=hours) - now
        if timedelta(0) < left < warn:
            gap = abs(left - warn / 2)
            if best_gap is None or gap < best_gap:
                best, best_gap = timedelta(minutes=minutes), gap
            if gap < timedelta(minutes=10):
                break
    return best


def _inbox(session: Session, client: Client, plan: Plan, team: _Team, now: datetime,
           summary: ActivitySummary) -> None:
    if plan.inbox_rules:
        sla.update_settings(session=session, client_id=client.id, data=InboxSettingsIn(**plan.inbox_rules),
                            allow_private_urls=False)
    rules = sla.settings_for(session, client.id)
    near = _near_age(rules, sla.hours_for(session, client.id), now)
    rows = []
    for index, review in enumerate(plan.reviews):
        written = now - (near if review.age == "near" else _age(review.age))
        rows.append((review.source, review.author, review.rating, review.text, "", _iso(written),
                     f"demo-{plan.slug}-{index + 1}"))
    report = inbox_import.import_reviews(session=session, client_id=client.id, now=now, text=_csv(
        inbox_import.COLUMNS, rows))
    if not report.ok:
        raise RuntimeError(f"the demo reviews of {client.name} were refused: {report.message} {report.errors[:3]}")
    summary.reviews = report.created
    keys = {f"{r.source.lower()}:demo-{plan.slug}-{i + 1}": r for i, r in enumerate(plan.reviews)}
    found = dict(session.execute(select(InboxItem.remote_id, InboxItem.conversation_id).where(
        InboxItem.channel_id == report.channel_id, InboxItem.remote_id.in_(list(keys)))).all())
    summary.conversations = len(set(found.values()))
    for key, review in keys.items():
        if key not in found or (review.status == "new" and not review.tags and not review.assignee):
            continue
        conversation = inbox_service.get_conversation(session=session, client_id=client.id,
                                                      conversation_id=found[key])
        assignee = team.get(review.assignee)
        patch = {"status": review.status}
        if review.tags:
            patch["tags"] = list(review.tags)
        if assignee is not None and assignee.id in team.teammates | {team.director.id}:
            patch["assignee_id"] = assignee.id
        actor = team.cm if review.assignee != "manager" else team.manager
        inbox_service.triage(session=session, conversation=conversation, data=ConversationPatch(**patch),
                             actor_id=actor.id)
        summary.triaged += 1
        if review.note:
            inbox_service.add_note(session=session, conversation=conversation, author_id=actor.id, text=review.note)
            summary.notes += 1


# --- listening -------------------------------------------------------------------------------------


def _regulars(rng: random.Random, plan: Plan, count: int) -> dict[str, list[Voice]]:
    """Ordinary authors per language: small reach, mostly a few hundred followers."""
    out: dict[str, list[Voice]] = {}
    for lang in sorted({lang for rows in plan.templates.values() for lang, _, _ in rows}):
        people, seen = [], set()
        while len(people) < count:
            first = rng.choice(FIRST_NAMES[lang])
            handle = f"{first}{rng.choice(['_', '.', ''])}{rng.choice(HANDLE_WORDS[lang])}"
            if rng.random() < 0.4:
                handle += str(rng.randint(2, 99))
            source = rng.choice(SOURCES)
            if source == "mastodon":
                handle += "@social.example"
            if handle in seen:
                continue
            seen.add(handle)
            name = first.capitalize() + ("" if rng.random() < 0.5 else f" {rng.choice('ABCDEFGHKLMNPRST')}.")
            people.append(Voice(handle, name, int(rng.lognormvariate(5.3, 1.1)), lang, source))
        out[lang] = people
    return out


def _mention_rows(plan: Plan, rng: random.Random, now: datetime, zone: ZoneInfo) -> list[dict]:
    regulars = _regulars(rng, plan, 160)
    slots = _Slots(rng, plan.slots)
    topics = list(plan.shares)
    weights = [plan.shares[t] for t in topics]
    rows: list[dict] = []

    def add(voice: Voice, text: str, lang: str, at: datetime, hashtags: list[str] | None = None) -> dict:
        row = {"remote_id": f"demo-{plan.slug}-m{len(rows) + 1}", "text": text, "created_at": _iso(at),
               "source": voice.source, "author_handle": voice.handle, "author_name": voice.name,
               "author_followers": voice.followers, "lang": lang}
        if hashtags:
            row["hashtags"] = hashtags
        rows.append(row)
        return row

    for days_ago in range(DAYS):
        grown = 0.65 + 0.35 * (DAYS - days_ago) / DAYS  # the brands grew their audience over the weeks
        count = max(1, round(plan.per_day * grown * rng.uniform(0.7, 1.3)))
        for _ in range(count):
            topic = rng.choices(topics, weights=weights)[0]
            lang, tone, template = rng.choice(plan.templates[topic])
            text = template.format_map(slots) + rng.choice(ENDINGS[(lang, tone)])
            if rng.random() < 0.35:
                text = rng.choice(OPENERS[lang]) + text
            pool = plan.tags.get(lang, [])
            extra = [t for t in rng.sample(pool, min(len(pool), rng.choice((0, 1, 1, 2, 2, 3))))
                     if t.lower() not in text.lower()]
            if extra:
                text += " " + " ".join(extra)
            listed = extra if extra and rng.random() < 0.25 else None  # some exports list the tags apart too
            at = _moment(rng, now, zone, days_ago, RHYTHM)
            voices = [v for v in plan.voices if v.lang == lang]
            voice = rng.choice(voices) if voices and rng.random() < 0.12 else rng.choice(regulars[lang])
            original = add(voice, text, lang, at, listed)
            if voice.followers >= 10_000 and rng.random() < 0.4:  # reposted: near duplicates of the original
                for _ in range(rng.randint(1, 4)):
                    fan = rng.choice(regulars[lang])
                    prefix = rng.choice(["RT @{h}: ", "RT @{h} ", ""])
                    copy = prefix.format(h=voice.handle) + original["text"] + ("" if prefix else f" via @{voice.handle}")
                    add(fan, copy, lang, min(at + timedelta(minutes=rng.randint(3, 600)), now - timedelta(minutes=1)))
    if plan.crisis:
        rows += _crisis_rows(plan, rng, now, regulars, start=len(rows))
    return rows


def _crisis_rows(plan: Plan, rng: random.Random, now: datetime, regulars: dict[str, list[Voice]],
                 start: int) -> list[dict]:
    """The defect's burst: a trickle of complaints over the last three hours (too few per five minutes to
    page anyone), a widely shared warning, then a wave in the last minutes."""
    slots = _Slots(rng, plan.slots)
    rows: list[dict] = []

    def add(voice: Voice, text: str, lang: str, at: datetime) -> None:
        rows.append({"remote_id": f"demo-{plan.slug}-c{start + len(rows) + 1}", "text": text, "created_at": _iso(at),
                     "source": voice.source, "author_handle": voice.handle, "author_name": voice.name,
                     "author_followers": voice.followers, "lang": lang})

    def line(pool) -> tuple[str, str]:
        lang, text = rng.choice(pool)
        text = text.format_map(slots)
        if rng.random() < 0.3:
            text = rng.choice(OPENERS[lang]) + text
        tags = plan.tags.get(lang, [])
        extra = [t for t in rng.sample(tags, min(len(tags), rng.choice((0, 1, 1, 2)))) if t.lower() not in text.lower()]
        return lang, " ".join([text, *extra])

    for minutes in range(180, 20, -5):  # a post in about every other five-minute stretch
        if rng.random() < (0.3 if minutes > 120 else 0.55):
            lang, text = line(CRISIS_LINES if rng.random() < 0.8 else CRISIS_QUESTIONS)
            add(rng.choice(regulars[lang]), text, lang, now - timedelta(minutes=minutes, seconds=rng.randint(0, 290)))
    viral = next(v for v in plan.voices if v.handle == CRISIS_VIRAL[0])
    shared_at = now - timedelta(minutes=52)
    add(viral, CRISIS_VIRAL[2], CRISIS_VIRAL[1], shared_at)
    for i in range(6):  # reposts, spread over the half hour after it
        fan = rng.choice(regulars["de"])
        add(fan, f"RT @{viral.handle}: {CRISIS_VIRAL[2]}", "de", shared_at + timedelta(minutes=5 * i + 3))
    for _ in range(44):  # the wave: the last eight minutes
        lang, text = line(CRISIS_LINES if rng.random() < 0.85 else CRISIS_QUESTIONS)
        voice = rng.choice(regulars[lang])
        if rng.random() < 0.15:
            voice = next(v for v in plan.voices if v.handle == "berlin_trails")
        add(voice, text, lang, now - timedelta(seconds=rng.randint(20, 8 * 60)))
    return rows


def _listening(session: Session, client: Client, plan: Plan, team: _Team, rng: random.Random, now: datetime,
               summary: ActivitySummary) -> None:
    for name, topic, text in plan.queries:
        listening_service.create_query(session=session, client_id=client.id, user_id=team.manager.id,
                                       data=QueryIn(name=name, topic=topic, text=text))
    summary.queries = len(plan.queries)
    rows = _mention_rows(plan, rng, now, ZoneInfo(client.timezone))
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n"
    report = listening_import.import_text(session=session, client_id=client.id, text=text, filename="mentions.jsonl")
    if report.rejected:
        raise RuntimeError(f"demo mentions of {client.name} were refused: {report.errors[:3]}")
    summary.mentions, summary.near_duplicates, summary.unmatched = report.stored, report.duplicates, report.unmatched


# --- crisis --------------------------------------------------------------------------------------


def _crisis(session: Session, client: Client, team: _Team, now: datetime, summary: ActivitySummary) -> None:
    """Run the detector on the burst, then open the crisis room from its alert (by hand if it stayed
    quiet) and work in it as the team would in the first minutes."""
    alerts = detection.run(session, client_id=client.id, now=now)
    alert = alerts[0] if alerts else detection.open_alert(session, client.id)
    summary.crisis_alert = alert is not None
    director = auth_service.principal_for(session=session, user=team.director)
    cm = auth_service.principal_for(session=session, user=team.cm)
    manager = auth_service.principal_for(session=session, user=team.manager)
    room = crisis_service.open_crisis(session, principal=director, client_id=client.id, data=CrisisOpen(
        type=CrisisType.DEFECTIVE_PRODUCT, title="Leaking Glut 2 rental stoves", alert_id=alert.id if alert else None,
        note="Renters report gas leaking at the valve of the Glut 2 rental stove, with flare-ups; one widely "
             "shared warning. No injuries reported so far."))
    summary.crisis_id = room.id
    crisis_service.pause_publishing(session, principal=cm, crisis=room,
                                    reason="Crisis: leaking Glut 2 rental stoves")
    steps = list(room.steps)
    if steps:
        crisis_service.set_step(session, principal=cm, crisis=room, step_id=steps[0].id, done=True,
                                note_text="paused from the crisis room")
    crisis_service.act(session, principal=manager, crisis=room,
                       text="Called Jonas: all 14 Glut 2 stoves are pulled from the rental shelf; the batch came in "
                            "September. He is asking the manufacturer for the valve part numbers.")
    crisis_service.decide(session, principal=director, crisis=room,
                          text="Safety first: a pinned holding statement in German and English (stop using the "
                               "Glut 2, bring it back for a full refund), no speculation about the cause, and every "
                               "reply with the agreed wording. Injuries go to Jonas at once.")
    crisis_service.decide(session, principal=director, crisis=room,
                          text="Offer every affected renter a free replacement rental; Jonas reports the batch to "
                               "the manufacturer today. Next public update in two hours, on every channel.")
    if alert is not None:
        samples = crisis_service.alert_samples(session, alert)
        widest = max(samples, key=lambda m: m.author_followers or 0, default=None)
        if widest is not None:
            crisis_service.pin_mention(session, principal=cm, crisis=room, mention_id=widest.id,
                                       text="The most shared complaint: answer first, with the agreed wording")


# --- analytics ------------------------------------------------------------------------------------


def _campaigns(session: Session, client: Client, plan: Plan, today: date, summary: ActivitySummary) -> dict:
    made = {}
    for name, started, ends_in, description in plan.campaigns:
        made[name] = publishing_service.create_campaign(session=session, client_id=client.id, data=CampaignIn(
            name=name, description=description, starts_on=today - timedelta(days=started),
            ends_on=today + timedelta(days=ends_in)))
    summary.campaigns = len(made)
    return made


def _analytics(session: Session, client: Client, plan: Plan, rng: random.Random, today: date,
               summary: ActivitySummary) -> None:
    analytics_service.set_reporting_currency(session=session, client_id=client.id, currency=plan.currency)
    metric_rows = []
    for spec in plan.posts:
        count = round(spec.per_week * DAYS / 7)
        for index in range(count):
            published = today - timedelta(days=round((index + rng.random()) * DAYS / count))
            if published > today:
                continue
            reach = spec.impressions * rng.lognormvariate(0, 0.45)
            rate = spec.rate * rng.lognormvariate(0, 0.35)
            post_id = f"demo-{plan.slug}-{spec.network}-{index + 1}"
            for after, share in ((0, 0.42), (1, 0.71), (3, 0.88), (7, 0.97), (14, 1.0)):
                day = published + timedelta(days=after)
                if day > today:
                    break
                impressions = reach * share
                engaged = impressions * rate
                metric_rows.append((day.isoformat(), spec.network, post_id, round(engaged * 0.82),
                                    round(engaged * 0.07), round(engaged * 0.09), round(engaged * 0.02),
                                    round(impressions), round(impressions * 1.6) if spec.views else "",
                                    round(impressions * 0.006) if spec.clicks else ""))
    if metric_rows:
        report = analytics_import.import_csv(session=session, client_id=client.id, kind=ImportKind.METRICS, text=_csv(
            ("date", "network", "post_id", "likes", "reposts", "replies", "quotes", "impressions", "views",
             "link_clicks"), metric_rows))
        if not report.ok:
            raise RuntimeError(f"demo post metrics of {client.name} were refused: {report.errors[:3]}")
        summary.post_metric_rows = report.created
    paid_rows = []
    whole = plan.currency == "JPY"
    for spec in plan.paid:
        for days_ago in range(spec.first, spec.last - 1, -1):
            spend = spec.spend * rng.uniform(0.8, 1.2)
            impressions = spend / spec.cpm * 1000
            clicks = impressions * spec.ctr * rng.uniform(0.85, 1.15)
            conversions = clicks * spec.cvr * rng.uniform(0.7, 1.3)
            paid_rows.append(((today - timedelta(days=days_ago)).isoformat(), spec.network, spec.campaign, spec.ad,
                              plan.currency, f"{spend:.0f}" if whole else f"{spend:.2f}", round(impressions),
                              round(clicks), round(conversions)))
    if paid_rows:
        report = analytics_import.import_csv(session=session, client_id=client.id, kind=ImportKind.PAID, text=_csv(
            analytics_import.PAID_COLUMNS, paid_rows))
        if not report.ok:
            raise RuntimeError(f"demo paid results of {client.name} were refused: {report.errors[:3]}")
        summary.paid_rows = report.created


# --- tracked links ---------------------------------------------------------------------------------


def _links(session: Session, client: Client, plan: Plan, team: _Team, campaigns: dict, settings: Settings,
           rng: random.Random, now: datetime, summary: ActivitySummary) -> None:
    zone = ZoneInfo(client.timezone)
    creator = auth_service.principal_for(session=session, user=team.creator)
    public_id = links_service.settings_for(session=session, client_id=client.id).public_id
    for number, spec in enumerate(plan.links, 1):
        campaign = campaigns.get(spec.campaign)
        link = links_service.create_link(session=session, settings=settings, principal=creator, client_id=client.id,
                                         data=LinkIn(destination=spec.destination, utm_medium="social",
                                                     utm_content=spec.content, label=spec.label,
                                                     network=Network(spec.network),
                                                     campaign_id=campaign.id if campaign else None))
        summary.links += 1
        target = links_service.lookup(session=session, code=link.code)
        # More clicks on the days after the link was posted, and a steady trickle since.
        start = spec.days - 1
        weights = [1.0 + 1.5 * math.exp(-(start - d) / 4) for d in range(spec.days)]
        for days_ago in rng.choices(range(spec.days), weights=weights, k=spec.clicks):
            links_service.record_click(session=session, target=target, ip=None, user_agent=rng.choice(USER_AGENTS),
                                       referrer=REFERRERS.get(spec.network), preview=False,
                                       at=_moment(rng, now, zone, days_ago, CLICK_RHYTHM))
        for _ in range(spec.previews):
            links_service.record_click(session=session, target=target, ip=None, user_agent=rng.choice(PREVIEW_AGENTS),
                                       referrer=None, preview=True,
                                       at=_moment(rng, now, zone, rng.randrange(spec.days), CLICK_RHYTHM))
        summary.clicks += spec.clicks
        for index in range(spec.conversions):
            value = None
            if spec.value:
                value = Decimal(f"{rng.uniform(*spec.value):.2f}")
            data = ConversionIn(client=public_id, kind=spec.kind, link=link.code, value=value,
                                currency=plan.currency if value is not None else None,
                                order_ref=f"demo-{plan.slug}-{number}-{index + 1}")
            done = links_service.record_conversion(session=session, client_id=client.id, data=data, source="server",
                                                   at=_moment(rng, now, zone, rng.randrange(spec.days), CLICK_RHYTHM))
            summary.conversions += done.recorded


# --- the whole client ------------------------------------------------------------------------------


def seed_client(*, session: Session, client: Client, users: dict[str, User], settings: Settings,
                now: datetime | None = None) -> ActivitySummary:
    """Give one demo client (by its name in demo.data) its last eight weeks of activity: campaigns and
    tracked links, the inbox, listening (and the crisis), analytics."""
    now = now or datetime.now(UTC)
    plan, rng, summary = PLANS[client.name], random.Random(f"socialdesk-demo:{client.name}"), ActivitySummary()
    team, today = _team(session, client, users), analytics_service.client_today(client, now)
    campaigns = _campaigns(session, client, plan, today, summary)
    _links(session, client, plan, team, campaigns, settings, rng, now, summary)
    _inbox(session, client, plan, team, now, summary)
    _listening(session, client, plan, team, rng, now, summary)
    if plan.crisis:
        _crisis(session, client, team, now, summary)
    _analytics(session, client, plan, rng, today, summary)
    return summary


def escalate(session: Session, now: datetime | None = None) -> int:
    """One run of the inbox escalation (what the worker does every minute): the conversations past their
    target or limit are marked and their people told; breaches older than a day are recorded silently."""
    return len(sla.escalate_due(session, now=now))
