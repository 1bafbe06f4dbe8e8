"""The demo agency, Northlight Social: its people and six clients, as plain data.

Everything here is validated by the same pydantic schemas as user input when it is seeded.
Log entries are dated relative to the day the demo runs (``days_ago``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from socialdesk.kit.authz import AgencyRole, Role

AGENCY = "northlight.example.com"
DEFAULT_PASSWORD = "socialdesk-demo"

HARBOR = "Harbor & Vine"
GIPFEL = "Gipfelwerk Outdoor"
MENYA = "Menya Hoshizora"
BONDI = "Bondi Bright Dental"
LEDGER = "Ledgerleaf"
ROUX = "Maison Roux"


@dataclass(frozen=True)
class DemoPerson:
    email: str
    name: str
    agency_role: AgencyRole = AgencyRole.MEMBER
    roles: dict[str, Role] = field(default_factory=dict)
    title: str = ""


@dataclass(frozen=True)
class DemoClient:
    profile: dict  # fields of ClientCreate
    personas: list[dict]  # PersonaIn
    kpi_targets: list[dict]  # KpiTargetIn
    office_hours: list[tuple[list[int], str, str]]  # (weekdays, start, end) in the client's zone
    outside_hours_message: str
    contacts: list[dict]  # ContactIn
    log: list[dict]  # LogEntryIn fields with days_ago instead of occurred_on, and author (e-mail)

    @property
    def name(self) -> str:
        return self.profile["name"]


def _at(user: str) -> str:
    return f"{user}@{AGENCY}"


MON_THU, MON_FRI, TUE_SAT = [0, 1, 2, 3], [0, 1, 2, 3, 4], [1, 2, 3, 4, 5]

PEOPLE = [
    DemoPerson(_at("dana"), "Dana Whitfield", AgencyRole.OWNER, title="Social media director"),
    DemoPerson(
        _at("priya"), "Priya Raman", roles={HARBOR: Role.MANAGER, BONDI: Role.MANAGER, MENYA: Role.MANAGER},
        title="Account manager",
    ),
    DemoPerson(
        _at("tomas"), "Tomás Herrera", roles={GIPFEL: Role.MANAGER, LEDGER: Role.MANAGER, ROUX: Role.MANAGER},
        title="Account manager",
    ),
    DemoPerson(
        _at("lea"), "Lea Fischer", roles={GIPFEL: Role.COMMUNITY_MANAGER, ROUX: Role.COMMUNITY_MANAGER},
        title="Community manager, Europe",
    ),
    DemoPerson(
        _at("kenji"), "Kenji Watanabe", roles={MENYA: Role.COMMUNITY_MANAGER, BONDI: Role.COMMUNITY_MANAGER},
        title="Community manager, Asia-Pacific",
    ),
    DemoPerson(
        _at("marcus"), "Marcus Bell", roles={HARBOR: Role.COMMUNITY_MANAGER, LEDGER: Role.COMMUNITY_MANAGER},
        title="Community manager, Americas",
    ),
    DemoPerson(
        _at("sofia"), "Sofia Marino",
        roles={HARBOR: Role.CONTENT_CREATOR, ROUX: Role.CONTENT_CREATOR, MENYA: Role.CONTENT_CREATOR},
        title="Content creator (photo and video)",
    ),
    DemoPerson(
        _at("jordan"), "Jordan Blake",
        roles={LEDGER: Role.CONTENT_CREATOR, GIPFEL: Role.CONTENT_CREATOR, BONDI: Role.CONTENT_CREATOR},
        title="Content creator (copy and design)",
    ),
    DemoPerson(
        _at("amara"), "Amara Okafor",
        roles={c: Role.ANALYST for c in (HARBOR, GIPFEL, MENYA, BONDI, LEDGER, ROUX)},
        title="Social analyst",
    ),
    DemoPerson("elena@harborandvine.example.com", "Elena Ruiz", roles={HARBOR: Role.CLIENT_APPROVER},
               title="Marketing & hospitality director at Harbor & Vine"),
    DemoPerson("claire@maisonroux.example.com", "Claire Dubois", roles={ROUX: Role.CLIENT_APPROVER},
               title="Owner and head baker at Maison Roux"),
]


def _log(days_ago: int, kind: str, author: str, title: str, body: str) -> dict:
    return {"days_ago": days_ago, "kind": kind, "author": _at(author), "title": title, "body": body}


CLIENTS = [
    DemoClient(
        profile={
            "name": HARBOR,
            "industry": "Winery and tasting room",
            "website": "https://harborandvine.example.com",
            "description": "Family-owned estate winery in Napa's Carneros district: 40 acres of Pinot Noir and "
            "Chardonnay, a cellar-door tasting room and a 1,900-member wine club.",
            "timezone": "America/Los_Angeles",
            "brand_color": "#7b2d43",
            "voice_description": "Warm and unhurried, like a host pouring a second taste. We talk about the land, "
            "the weather and the people who pick the grapes. Short sentences, plain words, a little dry humour. "
            "Never snobbish: nobody needs to know what malolactic means to enjoy the wine.",
            "tone_words": ["warm", "unhurried", "knowledgeable", "dry humour"],
            "words_to_use": ["estate", "harvest", "cellar door", "small-lot", "Carneros"],
            "words_to_avoid": ["cheap", "luxury", "wine snob", "guys", "crush it"],
            "emoji_policy": "sparingly",
            "hashtag_policy": "#HarborAndVine plus at most two place tags (#NapaValley, #Carneros); none on LinkedIn.",
            "max_hashtags": 3,
            "demographics": [
                {"dimension": "age", "value": "25-34", "share_percent": 22},
                {"dimension": "age", "value": "35-54", "share_percent": 46},
                {"dimension": "age", "value": "55+", "share_percent": 32},
                {"dimension": "location", "value": "California", "share_percent": 58},
                {"dimension": "location", "value": "Rest of the US", "share_percent": 34},
                {"dimension": "location", "value": "International", "share_percent": 8},
                {"dimension": "income", "value": "Household income above $150k", "share_percent": 41},
            ],
            "business_goals": "Grow the wine club from 1,900 to 2,400 members by December. Fill weekday tasting "
            "appointments (Tuesday to Thursday run at 40% capacity). Sell out the small-lot Pinot Noir release "
            "in October.",
        },
        personas=[
            {
                "name": "Bay Area weekend couple",
                "age_min": 32,
                "age_max": 45,
                "interests": ["food and wine", "day trips", "farm-to-table dining"],
                "platforms": ["instagram", "facebook"],
                "cares_about": "An easy, beautiful day out; booking a tasting without a phone call; a dog-friendly terrace.",
                "description": "Drive up from San Francisco or Oakland once a month, plan the weekend on Thursday night.",
            },
            {
                "name": "Loyal club member",
                "age_min": 50,
                "age_max": 72,
                "interests": ["cellaring", "wine education", "travel"],
                "platforms": ["facebook", "instagram"],
                "cares_about": "First access to small lots, being recognised at the cellar door, the pick-up parties.",
                "description": "Has been in the club for years and reads every newsletter; forwards posts to friends.",
            },
            {
                "name": "Hospitality professional",
                "age_min": 28,
                "age_max": 50,
                "interests": ["sommelier training", "allocations", "sustainable farming"],
                "platforms": ["linkedin", "instagram"],
                "cares_about": "Technical sheets, allocation dates and the vineyard's sustainability certification.",
            },
        ],
        kpi_targets=[
            {"metric": "engagement_rate_percent", "target": 4.5, "unit": "%", "period": "month"},
            {"metric": "conversions", "target": 40, "unit": "club sign-ups", "period": "month",
             "notes": "Tracked with the wine-club landing page's UTM links."},
            {"metric": "link_clicks", "target": 1500, "unit": "clicks", "period": "month",
             "notes": "To the tasting booking page."},
            {"metric": "first_response_hours", "target": 8, "unit": "hours", "period": "week"},
        ],
        office_hours=[(MON_THU, "11:00", "15:00")],
        outside_hours_message="Thanks for reaching out! Our social team is in Monday to Thursday, 11am to 3pm "
        "Pacific, and will answer on the next of those days. For tastings and wine club questions the cellar door "
        "team replies at concierge@harborandvine.example.com.",
        contacts=[
            {"name": "Elena Ruiz", "title": "Marketing & hospitality director", "email": "elena@harborandvine.example.com",
             "phone": "+1 707 555 0142", "is_primary": True, "notes": "Approves every post; prefers a weekly batch on Mondays."},
            {"name": "Sam Whitaker", "title": "Winemaker", "email": "sam@harborandvine.example.com",
             "notes": "Happy to be filmed during harvest; ask a week ahead."},
        ],
        log=[
            _log(27, "meeting", "priya", "Quarterly planning at the estate",
                 "Walked the vineyard with Elena and Sam. Harvest content plan agreed: drone shots of the first pick, "
                 "a 'meet the crew' series, and a behind-the-scenes story from the crush pad. Wine club push starts "
                 "after the October release."),
            _log(20, "request", "marcus", "Elena: answer booking questions by DM only",
                 "Elena asked that we never confirm tasting times in public comments; send people to the booking "
                 "page or reply by direct message."),
            _log(12, "news", "sofia", "Relayed: regional roundup gave the Chardonnay 92 points",
                 "Passed the review on to Elena with a draft post and two photo options for her approval."),
            _log(5, "request", "priya", "Pause promoted posts during the smoke advisory",
                 "Elena asked to pause all promoted posts while the wildfire smoke advisory lasts, and to post a short "
                 "note that the tasting room stays open indoors. Ads paused the same afternoon."),
            _log(2, "note", "amara", "September results",
                 "Engagement 5.1% (target 4.5%). 34 club sign-ups from social (target 40): the club post with the "
                 "cellar video did best; suggest a second one before the release."),
        ],
    ),
    DemoClient(
        profile={
            "name": GIPFEL,
            "industry": "Outdoor gear retail",
            "website": "https://gipfelwerk.example.com",
            "description": "Independent outdoor shop in Berlin-Kreuzberg with an online store, a gear rental service "
            "and a monthly repair café.",
            "timezone": "Europe/Berlin",
            "brand_color": "#2f6b3a",
            "voice_description": "Straightforward and outdoorsy, like advice from a friend at the trailhead. Practical "
            "tips first, gear second. German posts use the informal 'du'; English posts for the city's expats.",
            "tone_words": ["practical", "encouraging", "honest", "outdoorsy"],
            "words_to_use": ["trail", "repair", "kit", "weekend", "Brandenburg"],
            "words_to_avoid": ["extreme", "conquer", "epic", "cheap"],
            "emoji_policy": "sparingly",
            "hashtag_policy": "#Gipfelwerk plus route or region tags; no trending hashtags.",
            "max_hashtags": 3,
            "demographics": [
                {"dimension": "age", "value": "18-24", "share_percent": 18},
                {"dimension": "age", "value": "25-34", "share_percent": 39},
                {"dimension": "age", "value": "35-49", "share_percent": 31},
                {"dimension": "age", "value": "50+", "share_percent": 12},
                {"dimension": "location", "value": "Berlin", "share_percent": 46},
                {"dimension": "location", "value": "Rest of Germany", "share_percent": 38},
                {"dimension": "location", "value": "Austria and Switzerland", "share_percent": 16},
                {"dimension": "language", "value": "German", "share_percent": 71},
                {"dimension": "language", "value": "English", "share_percent": 29},
            ],
            "business_goals": "Make the repair café and the rental service known beyond Kreuzberg. Grow online-shop "
            "revenue from social by 25% year on year. Build the e-mail list before the winter sale.",
        },
        personas=[
            {
                "name": "City hiker without a car",
                "age_min": 25,
                "age_max": 38,
                "interests": ["hiking", "train trips", "photography"],
                "platforms": ["instagram", "tiktok"],
                "cares_about": "Routes reachable by regional train, gear that lasts, not spending a fortune.",
            },
            {
                "name": "Family adventurer",
                "age_min": 35,
                "age_max": 50,
                "interests": ["camping", "lakes", "kids' gear"],
                "platforms": ["facebook", "instagram", "pinterest"],
                "cares_about": "Safety, renting instead of buying gear the kids outgrow, packing lists.",
            },
            {
                "name": "Gear nerd",
                "age_min": 20,
                "age_max": 45,
                "interests": ["ultralight", "repair", "sustainability"],
                "platforms": ["mastodon", "youtube"],
                "cares_about": "Specs, repairability and how the brands treat their factory workers.",
            },
        ],
        kpi_targets=[
            {"metric": "follower_growth_percent", "target": 3, "unit": "%", "period": "month"},
            {"metric": "link_clicks", "target": 2500, "unit": "clicks", "period": "month"},
            {"metric": "conversions", "target": 120, "unit": "online orders", "period": "month"},
            {"metric": "positive_sentiment_percent", "target": 85, "unit": "%", "period": "quarter"},
        ],
        office_hours=[(MON_FRI, "09:00", "12:30"), (MON_FRI, "13:30", "17:00")],
        outside_hours_message="Danke für deine Nachricht! We answer Monday to Friday, 9:00 to 17:00 Berlin time. "
        "Questions about an order? The shop team is at laden@gipfelwerk.example.com.",
        contacts=[
            {"name": "Jonas Becker", "title": "Co-founder", "email": "jonas@gipfelwerk.example.com",
             "phone": "+49 30 5550 1234", "is_primary": True},
            {"name": "Mira Schulz", "title": "Store and repair café lead", "email": "mira@gipfelwerk.example.com",
             "notes": "Knows every regular; ask her before resharing customer photos."},
        ],
        log=[
            _log(24, "meeting", "tomas", "Kick-off: 'Repair, don't replace' autumn campaign",
                 "Agreed with Jonas on four weeks of repair stories, a rental price list post, and a live Q&A from "
                 "the repair café on the last Saturday of the month."),
            _log(16, "request", "lea", "Jonas: answer the down-jacket recall questions in German first",
                 "The manufacturer recalled one down jacket model. Jonas wants a pinned German post with the "
                 "return steps, English translation in the replies; no speculation about the cause."),
            _log(9, "news", "lea", "Relayed: repair café video reached 48k views on TikTok",
                 "A customer's video of Mira fixing a tent pole went far beyond our usual reach. Asked Mira and the "
                 "customer for permission to reshare it."),
            _log(3, "note", "amara", "Follower growth behind target",
                 "2.1% in September against 3%. Short videos outperform carousels three to one; recommend two "
                 "Reels a week through November."),
        ],
    ),
    DemoClient(
        profile={
            "name": MENYA,
            "industry": "Restaurants (ramen chain)",
            "website": "https://menya-hoshizora.example.com",
            "description": "Seven ramen shops across Tokyo, known for a clear chicken shio broth and a seasonal bowl "
            "every quarter. Flagship in Ebisu.",
            "timezone": "Asia/Tokyo",
            "brand_color": "#c0392b",
            "voice_description": "Playful and proud of the craft. We celebrate the broth, the noodles and the crew "
            "behind the counter. Japanese first, English second for the visitors who find us on Instagram.",
            "tone_words": ["playful", "proud", "welcoming", "precise"],
            "words_to_use": ["broth", "slurp", "counter", "seasonal", "crew"],
            "words_to_avoid": ["authentic", "exotic", "cheap eats", "weird"],
            "emoji_policy": "freely",
            "hashtag_policy": "Japanese and English tags: #麺屋星空 #ramen #tokyoramen plus the shop's neighbourhood.",
            "max_hashtags": 5,
            "demographics": [
                {"dimension": "age", "value": "18-24", "share_percent": 27},
                {"dimension": "age", "value": "25-34", "share_percent": 38},
                {"dimension": "age", "value": "35-49", "share_percent": 24},
                {"dimension": "age", "value": "50+", "share_percent": 11},
                {"dimension": "location", "value": "Tokyo", "share_percent": 61},
                {"dimension": "location", "value": "Rest of Japan", "share_percent": 14},
                {"dimension": "location", "value": "Visitors from abroad", "share_percent": 25},
                {"dimension": "language", "value": "Japanese", "share_percent": 68},
                {"dimension": "language", "value": "English", "share_percent": 32},
            ],
            "business_goals": "Lift weekday lunch traffic at the two newest shops (Nakameguro, Kichijoji). Sell the "
            "seasonal yuzu-shio bowl. Grow the English-speaking following among people planning a Tokyo trip.",
        },
        personas=[
            {
                "name": "Lunchtime office worker",
                "age_min": 24,
                "age_max": 40,
                "interests": ["quick lunch", "limited editions", "point cards"],
                "platforms": ["x", "instagram"],
                "cares_about": "How long the queue is, what is new this week, staying under ¥1,200.",
            },
            {
                "name": "Ramen tourist",
                "age_min": 22,
                "age_max": 40,
                "interests": ["travel", "food photography", "Japan trip planning"],
                "platforms": ["instagram", "tiktok", "youtube"],
                "cares_about": "An English menu, a vegetarian option, which shop is nearest their hotel.",
            },
        ],
        kpi_targets=[
            {"metric": "reach", "target": 400000, "unit": "accounts", "period": "month"},
            {"metric": "engagement_rate_percent", "target": 6, "unit": "%", "period": "month"},
            {"metric": "posts_published", "target": 30, "unit": "posts", "period": "month"},
            {"metric": "share_of_voice_percent", "target": 18, "unit": "%", "period": "quarter",
             "notes": "Against the five ramen chains tracked in the listening tool."},
        ],
        office_hours=[(TUE_SAT, "10:00", "16:00")],
        outside_hours_message="ありがとうございます! Our team replies Tuesday to Saturday, 10:00 to 16:00 Tokyo time. "
        "Today's opening hours for every shop are in the pinned post.",
        contacts=[
            {"name": "Hiroshi Tanaka", "title": "Founder", "email": "tanaka@menya-hoshizora.example.com",
             "phone": "+81 3 5555 0123", "is_primary": True},
            {"name": "Aiko Mori", "title": "Marketing lead", "email": "mori@menya-hoshizora.example.com",
             "notes": "Weekly call on Wednesdays at 11:00 Tokyo time."},
        ],
        log=[
            _log(26, "meeting", "kenji", "Seasonal menu tasting at the Ebisu flagship",
                 "Tasted the yuzu-shio bowl with Tanaka-san and Aiko. Launch on the 1st with a counter-view video; "
                 "each shop's crew picks its favourite topping for a week of stories."),
            _log(14, "request", "kenji", "Aiko: English highlight on vegetarian options",
                 "Tourists keep asking in comments. Aiko wants a pinned English story highlight listing the "
                 "vegetarian bowl and which shops serve it."),
            _log(8, "news", "sofia", "Relayed: Ebisu shop nominated in a national ramen ranking",
                 "Shared the nomination with Aiko and drafted a thank-you post for the crew; waiting for approval."),
            _log(1, "note", "amara", "Nakameguro lunch posts work",
                 "Posts at 11:15 with the day's queue time drove a visible rise in check-ins; keep the format."),
        ],
    ),
    DemoClient(
        profile={
            "name": BONDI,
            "industry": "Healthcare (dental group)",
            "website": "https://bondibrightdental.example.com",
            "description": "Four family dental clinics in Sydney's eastern suburbs and inner west, including a new "
            "clinic in Randwick that opened in March.",
            "timezone": "Australia/Sydney",
            "brand_color": "#1c7ed6",
            "voice_description": "Calm, reassuring and plain-spoken. Many followers are nervous about the dentist: we "
            "explain, we never lecture, and we never show anything that looks frightening. Health advertising "
            "rules apply: no testimonials and no claims we cannot back up.",
            "tone_words": ["calm", "reassuring", "friendly", "clear"],
            "words_to_use": ["gentle", "check-up", "family", "book online"],
            "words_to_avoid": ["painless", "guaranteed", "best dentist", "cheap", "scary"],
            "emoji_policy": "sparingly",
            "hashtag_policy": "#BondiBrightDental and one suburb tag. Never patient photos or testimonials.",
            "max_hashtags": 2,
            "demographics": [
                {"dimension": "age", "value": "18-34", "share_percent": 35},
                {"dimension": "age", "value": "35-54", "share_percent": 43},
                {"dimension": "age", "value": "55+", "share_percent": 22},
                {"dimension": "gender", "value": "Women", "share_percent": 58},
                {"dimension": "gender", "value": "Men", "share_percent": 41},
                {"dimension": "location", "value": "Eastern suburbs", "share_percent": 62},
                {"dimension": "location", "value": "Inner west", "share_percent": 23},
                {"dimension": "location", "value": "Rest of Sydney", "share_percent": 15},
            ],
            "business_goals": "Fill new-patient appointments at the Randwick clinic. Grow the children's check-up "
            "programme before the school holidays. Keep the first response under four hours in clinic hours.",
        },
        personas=[
            {
                "name": "Nervous adult",
                "age_min": 25,
                "age_max": 45,
                "interests": ["wellbeing", "fitness", "beach"],
                "platforms": ["instagram", "facebook"],
                "cares_about": "Gentle care, clear prices before treatment, evening appointments.",
            },
            {
                "name": "Busy parent",
                "age_min": 30,
                "age_max": 48,
                "interests": ["school holidays", "family activities"],
                "platforms": ["facebook", "instagram"],
                "cares_about": "Kids' check-ups, online booking, whether the children's dental benefit applies.",
            },
            {
                "name": "Retiree",
                "age_min": 60,
                "age_max": 80,
                "interests": ["gardening", "travel", "grandchildren"],
                "platforms": ["facebook"],
                "cares_about": "Implants and dentures explained simply, parking and step-free access.",
            },
        ],
        kpi_targets=[
            {"metric": "leads", "target": 180, "unit": "booking requests", "period": "month"},
            {"metric": "first_response_hours", "target": 4, "unit": "hours", "period": "week"},
            {"metric": "positive_sentiment_percent", "target": 90, "unit": "%", "period": "quarter"},
            {"metric": "cost_per_result", "target": 35, "unit": "AUD", "period": "month",
             "notes": "Per booking request from paid social."},
        ],
        office_hours=[(MON_FRI, "08:30", "17:30"), ([5], "09:00", "12:00")],
        outside_hours_message="Thanks for your message. We reply Monday to Friday 8:30am to 5:30pm and on Saturday "
        "mornings. In a dental emergency please call the clinic on 02 9000 1234; do not wait for a reply here.",
        contacts=[
            {"name": "Dr Amelia Chen", "title": "Clinical director", "email": "amelia.chen@bondibrightdental.example.com",
             "is_primary": True, "notes": "Signs off anything clinical."},
            {"name": "Nathan Price", "title": "Practice manager", "email": "nathan@bondibrightdental.example.com",
             "phone": "+61 2 9000 1234"},
        ],
        log=[
            _log(22, "meeting", "priya", "Compliance review with Dr Chen",
                 "Went through the health advertising guidelines together: no testimonials, no before-and-after "
                 "photos, no 'painless'. Dr Chen approves clinical captions within two working days."),
            _log(11, "request", "kenji", "Nathan: promote Saturday slots in Randwick",
                 "Saturday mornings at Randwick are half empty. Nathan asked for a small boosted post for "
                 "parents, 150 AUD over two weeks."),
            _log(6, "news", "jordan", "Relayed: review thread about waiting times",
                 "A public review complained about a 40-minute wait at Bondi. Drafted a calm reply offering a call "
                 "from Nathan and sent it to him for approval before posting."),
            _log(2, "note", "amara", "Booking requests on track",
                 "164 booking requests so far this month (target 180) at 31 AUD each; Saturday campaign did best."),
        ],
    ),
    DemoClient(
        profile={
            "name": LEDGER,
            "industry": "Fintech (budgeting and tax app)",
            "website": "https://ledgerleaf.example.com",
            "description": "Toronto start-up whose app helps Canadian freelancers track income, set aside tax and "
            "send invoices. 40,000 users, 9,000 paying.",
            "timezone": "America/Toronto",
            "brand_color": "#0b7285",
            "voice_description": "Clear and confident, never smug. Money admin should feel manageable: concrete "
            "examples, real numbers, no jargon without an explanation. Regulated: no promises of returns, and every "
            "tax tip links to the official source.",
            "tone_words": ["clear", "confident", "empathetic", "practical"],
            "words_to_use": ["freelancers", "cash flow", "set aside", "invoice", "plain language"],
            "words_to_avoid": ["get rich", "guaranteed", "hustle", "financial freedom", "crypto"],
            "emoji_policy": "none",
            "hashtag_policy": "One or two on X and LinkedIn (#freelance, #smallbiz); none in Instagram captions.",
            "max_hashtags": 2,
            "demographics": [
                {"dimension": "age", "value": "25-34", "share_percent": 44},
                {"dimension": "age", "value": "35-44", "share_percent": 33},
                {"dimension": "age", "value": "45+", "share_percent": 23},
                {"dimension": "location", "value": "Ontario", "share_percent": 48},
                {"dimension": "location", "value": "British Columbia", "share_percent": 21},
                {"dimension": "location", "value": "Quebec", "share_percent": 17},
                {"dimension": "location", "value": "Rest of Canada", "share_percent": 14},
                {"dimension": "occupation", "value": "Creative freelancers", "share_percent": 38},
                {"dimension": "occupation", "value": "Tech contractors", "share_percent": 34},
                {"dimension": "occupation", "value": "Skilled trades", "share_percent": 16},
            ],
            "business_goals": "Reach 600 paid sign-ups a month from social by Q4. Become the go-to voice on freelancer "
            "taxes before the April filing season. Build a waitlist for the sales-tax filing feature.",
        },
        personas=[
            {
                "name": "Solo designer",
                "age_min": 26,
                "age_max": 38,
                "interests": ["design", "side projects", "productivity"],
                "platforms": ["instagram", "linkedin", "threads"],
                "cares_about": "Not being surprised by a tax bill; invoices that look professional.",
            },
            {
                "name": "Contract developer",
                "age_min": 28,
                "age_max": 45,
                "interests": ["software", "remote work", "personal finance"],
                "platforms": ["linkedin", "x", "bluesky"],
                "cares_about": "Incorporating or not, quarterly instalments, exporting data for an accountant.",
            },
            {
                "name": "Tradesperson",
                "age_min": 30,
                "age_max": 55,
                "interests": ["renovation", "small business", "trucks"],
                "platforms": ["facebook", "youtube"],
                "cares_about": "Doing the books from a phone in ten minutes a week.",
            },
        ],
        kpi_targets=[
            {"metric": "conversions", "target": 600, "unit": "paid sign-ups", "period": "month"},
            {"metric": "leads", "target": 2000, "unit": "waitlist sign-ups", "period": "quarter"},
            {"metric": "engagement_rate_percent", "target": 3.5, "unit": "%", "period": "month"},
            {"metric": "share_of_voice_percent", "target": 12, "unit": "%", "period": "quarter"},
        ],
        office_hours=[(MON_FRI, "09:00", "17:00")],
        outside_hours_message="Thanks! Our team answers Monday to Friday, 9am to 5pm Eastern. For account or security "
        "questions, contact support in the app; never share account details here.",
        contacts=[
            {"name": "Aisha Rahman", "title": "Head of growth", "email": "aisha@ledgerleaf.example.com", "is_primary": True},
            {"name": "Daniel Kim", "title": "Compliance officer", "email": "daniel.kim@ledgerleaf.example.com",
             "notes": "Must approve every tax-related post."},
        ],
        log=[
            _log(25, "meeting", "tomas", "Filing-season content calendar",
                 "Planned January to April with Aisha: weekly 'tax tip Tuesday', a live Q&A with a partner "
                 "accountant in March, and a reminder series in the last two weeks of April."),
            _log(15, "request", "jordan", "Daniel: compliance review 48 hours ahead",
                 "Every post that mentions tax rules goes to Daniel at least 48 hours before it is scheduled, with "
                 "the link to the official source."),
            _log(7, "news", "marcus", "Relayed: creator asked about a paid partnership",
                 "A personal-finance creator with 180k followers wrote to us. Forwarded to Aisha with our notes on "
                 "audience fit and the disclosure rules for paid partnerships."),
            _log(3, "note", "amara", "September paid sign-ups: 512",
                 "85% of target. LinkedIn carousels convert best for contractors; Instagram drives waitlist sign-ups."),
        ],
    ),
    DemoClient(
        profile={
            "name": ROUX,
            "industry": "Bakery",
            "website": "https://maisonroux.example.com",
            "description": "Family bakery on the Croix-Rousse hill in Lyon since 1962, two shops, sourdough and "
            "viennoiserie from local flour. Sunday brioche pre-orders sell out every week.",
            "timezone": "Europe/Paris",
            "brand_color": "#b7791f",
            "voice_description": "Warm, artisanal and a little cheeky, in French first. We show the hands, the flour "
            "and the early mornings, and we name our millers and farmers.",
            "tone_words": ["warm", "artisanal", "cheeky", "seasonal"],
            "words_to_use": ["levain", "fournil", "local flour", "Croix-Rousse"],
            "words_to_avoid": ["industrial", "cheap", "frozen", "best in France"],
            "emoji_policy": "sparingly",
            "hashtag_policy": "Two or three in French: #Lyon #boulangerie #CroixRousse.",
            "max_hashtags": 3,
            "demographics": [
                {"dimension": "age", "value": "25-34", "share_percent": 30},
                {"dimension": "age", "value": "35-54", "share_percent": 42},
                {"dimension": "age", "value": "55+", "share_percent": 28},
                {"dimension": "location", "value": "Lyon", "share_percent": 78},
                {"dimension": "location", "value": "Rest of Auvergne-Rhône-Alpes", "share_percent": 15},
                {"dimension": "location", "value": "Visitors", "share_percent": 7},
                {"dimension": "language", "value": "French", "share_percent": 88},
                {"dimension": "language", "value": "English", "share_percent": 12},
            ],
            "business_goals": "Keep the Sunday brioche pre-orders full. Launch the Christmas bûche pre-orders on "
            "1 December. Recruit two apprentice bakers through social.",
        },
        personas=[
            {
                "name": "Neighbourhood regular",
                "age_min": 35,
                "age_max": 70,
                "interests": ["local shops", "markets", "cooking"],
                "platforms": ["facebook", "instagram"],
                "cares_about": "What is in the oven today, holiday opening hours, knowing the bakers by name.",
            },
            {
                "name": "Young Lyon parent",
                "age_min": 28,
                "age_max": 40,
                "interests": ["weekend brunch", "kids' birthdays"],
                "platforms": ["instagram"],
                "cares_about": "Pre-ordering so they skip the Sunday queue; birthday cakes.",
            },
            {
                "name": "Food-loving visitor",
                "age_min": 25,
                "age_max": 45,
                "interests": ["food travel", "pastry", "photography"],
                "platforms": ["instagram", "tiktok"],
                "cares_about": "The one thing they must try, and when it comes out of the oven.",
            },
        ],
        kpi_targets=[
            {"metric": "followers", "target": 12000, "unit": "Instagram followers", "period": "quarter"},
            {"metric": "conversions", "target": 150, "unit": "brioche pre-orders", "period": "week"},
            {"metric": "engagement_rate_percent", "target": 5, "unit": "%", "period": "month"},
        ],
        office_hours=[(TUE_SAT, "07:00", "11:00")],
        outside_hours_message="Merci pour votre message ! Nous répondons du mardi au samedi, de 7h à 11h. Pour une "
        "commande du jour, appelez la boutique au 04 78 00 00 00.",
        contacts=[
            {"name": "Claire Dubois", "title": "Owner and head baker", "email": "claire@maisonroux.example.com",
             "phone": "+33 4 78 00 00 00", "is_primary": True, "notes": "Reads messages after the morning bake, around 10:00."},
            {"name": "Hugo Martin", "title": "Shop manager", "email": "hugo@maisonroux.example.com"},
        ],
        log=[
            _log(21, "meeting", "tomas", "Visit to the fournil: Christmas plan",
                 "Filmed the 4 a.m. bake for a short series. Agreed with Claire: bûche pre-orders open 1 December, "
                 "three flavours, posts in French with a short English line for visitors."),
            _log(13, "request", "lea", "Claire: pin the apprentice job post",
                 "Claire wants the apprentice baker offer pinned on Instagram and shared in two Croix-Rousse "
                 "neighbourhood groups on Facebook."),
            _log(6, "news", "sofia", "Relayed: local food blogger wants to film the morning bake",
                 "Passed the request to Claire with the blogger's audience numbers; she said yes for a Tuesday."),
            _log(2, "note", "lea", "Sunday pre-orders full by Friday noon",
                 "Third week in a row. Suggest announcing a second batch time rather than more posts."),
        ],
    ),
]
