"""The built-in crisis playbooks, one per crisis type: what an agency does, who owns each step, and holding
statements to adapt. A director replaces any of them for the agency or for one client (crisis.service).

Holding statements buy time without admitting what is not known: they acknowledge, say what is being
done and when the next word will come. ``{client}`` and ``{date}`` are filled in when one is used.
"""

from __future__ import annotations

from socialdesk.crisis.schemas import CrisisType

D, M, CM, CC, AN = "director", "manager", "community_manager", "content_creator", "analyst"


def _steps(*rows: tuple[str, str]) -> list[dict]:
    return [{"title": title, "owner_role": owner} for title, owner in rows]


COMMON_START = (
    ("Pause all scheduled publishing for the client (nothing cheerful goes out mid-crisis)", CM),
    ("Collect the facts: what happened, since when, how many people, which channels, the first posts", CM),
)

DEFAULTS: dict[CrisisType, dict] = {
    CrisisType.DISSATISFIED_CUSTOMERS: {
        "name": "Dissatisfied customers",
        "summary": "Customers are unhappy for a reason (an outage, a late delivery, a price change). Listen, "
                   "acknowledge quickly and publicly, move each case to a private channel, fix the cause and "
                   "say so.",
        "steps": _steps(
            *COMMON_START,
            ("Tag every complaint in the inbox and count them by cause", AN),
            ("Confirm the cause with the client's operations or customer service contact", M),
            ("Decide the response strategy and whether the client apologises publicly", D),
            ("Publish the approved holding statement on the affected channels", CM),
            ("Answer each complaint within the hour, moving personal details to direct messages", CM),
            ("Hand open cases to customer service and follow them until closed", CM),
            ("Tell the client's contact what was said and what customers ask for", M),
            ("Publish the follow-up once the cause is fixed", CM),
        ),
        "statements": [
            {"name": "Acknowledge", "text": "We hear you. Some of you are having trouble with {client} today and "
                                            "we are sorry. Our team is on it and we will post an update here by "
                                            "the end of the day. If you are affected, send us a direct message so "
                                            "we can help you personally."},
            {"name": "Fixed", "text": "Update ({date}): the problem many of you reported is fixed. Thank you for "
                                      "your patience and for telling us. If anything is still not right, send us a "
                                      "direct message and we will sort it out."},
        ],
    },
    CrisisType.TROLLS: {
        "name": "Trolls and coordinated attacks",
        "summary": "Hostile accounts push a message or flood the comments. Do not feed them: answer real people, "
                   "hide or report abuse under the network's rules, and keep the brand calm.",
        "steps": _steps(
            ("Collect the facts: which accounts, since when, what they repeat, the first posts", CM),
            ("Check whether the accounts are coordinated (new accounts, copied texts, the same hashtags)", AN),
            ("Decide: ignore, answer once with facts, or hide and report (never argue)", D),
            ("Hide or report posts that break the network's rules, keeping screenshots and links", CM),
            ("Answer genuine customers caught in the thread, briefly and with facts", CM),
            ("Brief the client's contact and agree who speaks if the press calls", M),
            ("Watch volume and sentiment for two days before standing down", AN),
        ),
        "statements": [
            {"name": "Facts only", "text": "We have seen claims about {client} circulating today. They are not "
                                           "accurate. The facts are here: [link]. We are always happy to answer "
                                           "questions from our customers."},
            {"name": "Community rules", "text": "We welcome every opinion here, but we remove abuse and spam so "
                                                "that everyone can take part. Thank you for keeping it respectful."},
        ],
    },
    CrisisType.DEFECTIVE_PRODUCT: {
        "name": "Defective or unsafe product",
        "summary": "A product fails or may harm people. Safety comes first: align with the client's legal and "
                   "quality teams, give clear instructions, never guess, update on a fixed rhythm.",
        "steps": _steps(
            *COMMON_START,
            ("Get the official position from the client's quality and legal contacts (batches, risk, recall)", M),
            ("Decide the response strategy and the approval path with the client's legal team", D),
            ("Publish the approved holding statement with what customers should do now", CM),
            ("Pin the statement and keep one place for updates (a page or a thread)", CM),
            ("Answer questions with the agreed wording only; escalate injuries to the client at once", CM),
            ("Prepare the FAQ and the follow-up posts for approval", CC),
            ("Report volume, sentiment and open questions to the client twice a day", AN),
            ("Publish the resolution (recall done, fix shipped) and thank customers", CM),
        ),
        "statements": [
            {"name": "Safety first", "text": "We have received reports of a problem with one of our products. "
                                             "Your safety comes first: while we investigate, please stop using it "
                                             "and keep it aside. We will share more information by {date}. "
                                             "Questions: send us a direct message."},
            {"name": "Recall", "text": "{client} is recalling [product, batch numbers]. If you have one, do not use "
                                       "it and return it to [where] for a full refund. Details: [link]. We are "
                                       "sorry for the worry this causes."},
        ],
    },
    CrisisType.CAMPAIGN_MISTAKE: {
        "name": "Communication campaign mistake",
        "summary": "A post or campaign hurt, misled or fell flat. Stop it everywhere, own the mistake plainly, "
                   "say what changes, and do not repeat the content while apologising.",
        "steps": _steps(
            ("Pause all scheduled publishing for the client, the campaign's posts first", CM),
            ("List every place the content ran (posts, ads, partners) and what people object to", CM),
            ("Decide: remove, correct or stand by the content, and who apologises", D),
            ("Remove or hide the content where decided, keeping copies for the post-mortem", CM),
            ("Publish the approved statement on the channels where the content ran", CM),
            ("Answer the main questions with the agreed wording", CM),
            ("Review the approval that let it through and fix the process", M),
            ("Rework the campaign before publishing resumes", CC),
        ),
        "statements": [
            {"name": "Own it", "text": "We got this wrong. Our recent post was [what was wrong], and we have taken "
                                       "it down. We are sorry to everyone it hurt. We are reviewing how it was "
                                       "approved so it does not happen again."},
            {"name": "Correction", "text": "Correction ({date}): our earlier post said [error]. The right "
                                           "information is [fact]. Sorry for the confusion."},
        ],
    },
    CrisisType.EXECUTIVE_REMARK: {
        "name": "Inappropriate remark by an executive",
        "summary": "A director or spokesperson said something in the media that offends. The company's voice "
                   "must not contradict the company: align with the client's leadership before a word is said.",
        "steps": _steps(
            *COMMON_START,
            ("Get the exact quote, the source and the context from the media", AN),
            ("Agree with the client's leadership and communications head who speaks and what is said", M),
            ("Decide the response strategy: clarify, apologise, or the executive speaks personally", D),
            ("Publish the approved statement on the brand channels", CM),
            ("Answer with the agreed wording only; send journalists to the press contact", CM),
            ("Watch the press and social coverage and report twice a day", AN),
        ),
        "statements": [
            {"name": "We hear you", "text": "We have seen the reactions to remarks made by a member of our "
                                            "leadership. They do not reflect the values of {client}. We are "
                                            "taking this seriously and will say more by {date}."},
            {"name": "Apology", "text": "On behalf of {client}: the remarks made on [date] were wrong and we "
                                        "apologise for them. [What the company is doing about it.]"},
        ],
    },
    CrisisType.OTHER: {
        "name": "Other crisis",
        "summary": "Anything else that threatens the client's reputation. Stop, gather facts, decide, speak once "
                   "with care, then follow up.",
        "steps": _steps(
            *COMMON_START,
            ("Brief the client's contact and agree who approves what is said", M),
            ("Decide the response strategy", D),
            ("Publish the approved holding statement", CM),
            ("Answer the main questions with the agreed wording", CM),
            ("Report volume and sentiment until things are back to normal", AN),
        ),
        "statements": [
            {"name": "Holding", "text": "We are aware of [the situation] and are looking into it. We will share "
                                        "an update here by {date}. Thank you for your patience."},
        ],
    },
}
