"""Writes the small, made-up company files of the README tour into this folder.

    python examples/make_examples.py            # rewrites examples/*.csv, *.jsonl
    python examples/make_examples.py --out DIR  # writes them elsewhere

Every text below was written by hand for these examples (an outdoor shop and a small bank);
nothing is copied from a public dataset. Events are drawn with a fixed seed, so the output is
the same on every run; `tests/test_readme.py` checks that the shipped files match it.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

SEED = 14
HERE = Path(__file__).resolve().parent

# category -> (tags, items as (title, description)); ids are sku-<category number><item number>
CATALOG: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "tents": (
        "camping|shelter",
        [
            ("Ridge 2 tent", "A two-person tent for three seasons, 2.1 kg"),
            ("Ridge 3 tent", "A roomier three-person version of the Ridge"),
            ("Storm dome tent", "A four-season dome that stands up to high wind"),
            ("Ultralight solo tent", "A one-person trekking-pole tent under 900 g"),
            ("Family cabin tent", "A six-person tent with two rooms and a porch"),
            ("Tent footprint", "A groundsheet that fits the Ridge tents"),
        ],
    ),
    "sleeping": (
        "camping|sleep",
        [
            ("Down sleeping bag -5C", "A 700-fill down bag for cold nights"),
            ("Synthetic sleeping bag 5C", "A summer bag that stays warm when damp"),
            ("Self-inflating mat", "A 5 cm mat that inflates itself"),
            ("Air mattress", "A light inflatable mat with an R-value of 4"),
            ("Camp pillow", "A small inflatable pillow"),
            ("Sleeping bag liner", "A silk liner that adds 2 degrees"),
        ],
    ),
    "packs": (
        "hiking|carry",
        [
            ("Trail daypack 20L", "A light pack for day hikes"),
            ("Trek pack 45L", "A pack for hut-to-hut treks"),
            ("Expedition pack 65L", "A load-carrying pack for long trips"),
            ("Hydration bladder 2L", "A water reservoir that fits most packs"),
            ("Pack rain cover", "A waterproof cover for packs up to 65 L"),
            ("Dry bag set", "Three roll-top bags, 5, 10 and 20 L"),
        ],
    ),
    "jackets": (
        "clothing|rain",
        [
            ("Waterproof shell jacket", "A three-layer rain jacket with a hood"),
            ("Insulated puffer jacket", "A warm synthetic jacket that packs small"),
            ("Fleece midlayer", "A grid fleece for cool mornings"),
            ("Softshell jacket", "A stretchy wind-resistant jacket"),
            ("Rain trousers", "Waterproof over-trousers with side zips"),
            ("Merino base layer", "A long-sleeve wool top"),
        ],
    ),
    "boots": (
        "clothing|footwear",
        [
            ("Leather hiking boots", "Waterproof boots for rough trails"),
            ("Trail running shoes", "Light shoes with a grippy sole"),
            ("Approach shoes", "Sticky-rubber shoes for scrambles"),
            ("Hiking socks", "Cushioned wool socks, two pairs"),
            ("Gaiters", "Keep mud and snow out of your boots"),
            ("Boot wax", "Leather care that keeps boots waterproof"),
        ],
    ),
    "cooking": (
        "camping|kitchen",
        [
            ("Gas canister stove", "A tiny stove that screws onto a gas canister"),
            ("Gas canister 230g", "Butane-propane fuel for canister stoves"),
            ("Titanium pot 750ml", "A light pot that holds a canister and stove"),
            ("Camp cookset", "Two pots, a pan and a kettle that nest"),
            ("Spork", "A titanium spoon and fork in one"),
            ("Water filter", "A squeeze filter for streams and lakes"),
        ],
    ),
}

# intent -> (the help-center article that answers it, an agent's resolution, ten tickets)
INTENTS: dict[str, tuple[str, str, list[str]]] = {
    "card_arrival": (
        "kb-01",
        "Cards arrive within 5 working days; we sent a replacement.",
        [
            "my new card still hasn't arrived",
            "when will my card be delivered?",
            "I ordered a card two weeks ago and nothing came",
            "how long does it take for the card to arrive",
            "is my card on its way? it's been ages",
            "the card you sent me never showed up",
            "can you track the delivery of my debit card",
            "still waiting for my card in the post",
            "where is my card, I ordered it last week",
            "card not received yet, what should I do",
        ],
    ),
    "lost_or_stolen_card": (
        "kb-02",
        "We froze the card and ordered a new one.",
        [
            "I lost my card",
            "my wallet was stolen with my card in it",
            "someone stole my card, please block it",
            "I can't find my card anywhere",
            "how do I freeze a card I've lost",
            "my card was taken from my bag on the train",
            "I think I left my card at a restaurant and it's gone",
            "please cancel my card, it was stolen",
            "lost card, need a replacement",
            "what do I do if my card is missing",
        ],
    ),
    "dispute_card_payment": (
        "kb-03",
        "We opened a dispute; the merchant has 15 days to reply.",
        [
            "there is a payment on my card I don't recognise",
            "how do I dispute a card payment?",
            "I was charged twice for the same purchase",
            "a shop charged me but I never got the goods",
            "I want my money back for a card transaction",
            "there's a charge from a company I've never heard of",
            "the merchant won't refund me, can you help",
            "how can I challenge a payment on my statement",
            "I was overcharged at a hotel and want to dispute it",
            "unknown transaction on my account yesterday",
        ],
    ),
    "exchange_rate": (
        "kb-04",
        "Card payments abroad use the network rate plus 0.5 %.",
        [
            "what exchange rate do you use?",
            "how much will I pay in euros if I use my card in Spain",
            "is there a fee for paying in dollars",
            "why was the rate on my foreign payment so bad",
            "what's your rate for converting pounds to yen",
            "do you charge extra for payments abroad",
            "how is the currency conversion calculated",
            "I paid in a foreign currency and the amount looks wrong",
            "which rate applies when I withdraw cash abroad",
            "can I see today's exchange rate in the app",
        ],
    ),
    "transfer_not_received": (
        "kb-05",
        "Transfers can take up to 2 working days; we traced it.",
        [
            "my transfer hasn't arrived",
            "I sent money to my friend and they didn't get it",
            "the bank transfer I made yesterday is still missing",
            "why hasn't the recipient received my payment",
            "money left my account but never reached the other bank",
            "how long does a transfer take to arrive",
            "my salary transfer is not showing up",
            "I transferred money to my savings and it's not there",
            "a payment I sent is stuck",
            "the person I paid says the money never came",
        ],
    ),
    "change_pin": (
        "kb-06",
        "You can change the PIN at any cash machine or in the app.",
        [
            "how do I change my PIN?",
            "I forgot my PIN",
            "can I reset the PIN of my card",
            "I want a new PIN number",
            "where can I see my PIN in the app",
            "my card is blocked after three wrong PIN attempts",
            "how can I set a PIN that's easier to remember",
            "is it possible to change my PIN at an ATM",
            "what's my card's PIN, I never got it",
            "unblock my PIN please",
        ],
    ),
    "close_account": (
        "kb-07",
        "We closed the account and sent the balance to your other bank.",
        [
            "I want to close my account",
            "how do I delete my account",
            "please cancel my account and send me the balance",
            "can I close my account in the app",
            "I'm moving to another bank, close my account",
            "terminate my membership",
            "what happens to my money if I close the account",
            "I no longer need this account",
            "how long does it take to close an account",
            "shut down my account please",
        ],
    ),
    # out of scope: messages a bank does not handle (they turn out-of-scope detection on)
    "oos": (
        "",
        "",
        [
            "what's the weather like in Lisbon this weekend",
            "can you recommend a good pizza place nearby",
            "who won the football match last night",
            "tell me a joke",
            "how do I bake sourdough bread",
            "what time is it in Tokyo",
            "play some jazz music",
            "how tall is Mount Everest",
            "translate good morning into French",
            "book me a table for two at eight",
        ],
    ),
}

ARTICLES: list[tuple[str, str, str]] = [
    (
        "kb-01",
        "When will my card arrive?",
        "Cards arrive within 5 working days of the order. If yours has not arrived after "
        "7 working days, order a replacement in the app under Card, Card not arrived; it is free.",
    ),
    (
        "kb-02",
        "Lost or stolen card",
        "Freeze the card at once in the app under Card, Freeze. If you cannot find it, cancel "
        "it and order a new one; card payments made after you froze it are refunded.",
    ),
    (
        "kb-03",
        "Disputing a card payment",
        "To dispute a card payment you do not recognise, or one for goods that never came, open "
        "the payment in the app and choose Dispute. Tell us what happened; the merchant has "
        "15 days to reply and we keep you posted.",
    ),
    (
        "kb-04",
        "Exchange rates for payments abroad",
        "Card payments and cash withdrawals in another currency use the card network's rate of "
        "the day, plus a 0.5 % fee. The app shows the rate and the fee beside each payment.",
    ),
    (
        "kb-05",
        "My transfer has not arrived",
        "Transfers to other banks take up to 2 working days. Check the recipient's account "
        "number in the payment's details; if it is right and 2 days have passed, ask us to "
        "trace the transfer.",
    ),
    (
        "kb-06",
        "Changing or unblocking your PIN",
        "Change your PIN at any cash machine, under PIN services. The app shows your PIN under "
        "Card, Show PIN. Three wrong attempts block it; unblock it at a cash machine.",
    ),
    (
        "kb-07",
        "Closing your account",
        "You can close your account in the app under Profile, Close account. Move or spend "
        "the balance first, or tell us where to send it; closing takes one working day.",
    ),
    (
        "kb-08",
        "Topping up by bank transfer",
        "Top up your account with a transfer from another bank to your account number; it "
        "arrives within one working day. Card top-ups arrive at once.",
    ),
    (
        "kb-09",
        "Why was my card declined?",
        "A card is declined when the balance is too low, the card is frozen, or a spending "
        "limit was reached. The app says which in the declined payment's details.",
    ),
    (
        "kb-10",
        "Fees for cash withdrawals",
        "Cash withdrawals are free up to 200 a month; above that they cost 2 %. Withdrawals "
        "abroad also pay the exchange fee.",
    ),
    (
        "kb-11",
        "Verifying your identity",
        "We ask for a photo of an identity document and a selfie to open an account or to "
        "raise your limits. Checks usually take a few minutes.",
    ),
    (
        "kb-12",
        "Updating your address",
        "Change your address in the app under Profile, Personal details. New cards are sent to "
        "the new address from the next working day.",
    ),
]

MESSAGES: list[str] = [
    "my card still hasn't arrived after ten days",
    "there is a card payment I don't recognise on my statement",
    "I forgot the PIN of my new card",
    "how much do you charge for paying in euros",
    "the money I sent to my landlord never arrived",
    "please close my account",
    "I lost my wallet with my card",
    "what's the weather in Paris tomorrow",
]

START = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
USERS = 30


def catalog_rows() -> list[dict[str, str]]:
    rows = []
    for c, (category, (tags, items)) in enumerate(CATALOG.items(), start=1):
        for i, (title, description) in enumerate(items, start=1):
            item_id = f"sku-{c}{i:02d}"
            rows.append(
                {
                    "item_id": item_id,
                    "title": title,
                    "description": description,
                    "tags": tags,
                    "category": category,
                    "url": f"https://shop.example/{item_id}",
                }
            )
    return rows


def event_rows() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Each user shops mostly in one favourite category, a little in a second one; views come
    before purchases. The last draw of each user goes to the test file."""
    rng = random.Random(SEED)
    by_category: dict[str, list[str]] = {}
    for row in catalog_rows():
        by_category.setdefault(row["category"], []).append(row["item_id"])
    categories = list(by_category)
    train: list[dict[str, str]] = []
    test: list[dict[str, str]] = []
    for u in range(1, USERS + 1):
        user = f"u{u:02d}"
        first, second = rng.sample(categories, 2)
        n = rng.randint(4, 7)
        pool = rng.sample(by_category[first], 5) + rng.sample(by_category[second], 2)
        items = pool[:n] if n < len(pool) else pool
        rng.shuffle(items)
        t = START + timedelta(days=rng.randint(0, 20), hours=rng.randint(0, 10))
        drawn = [*items, next(i for i in by_category[first] if i not in items)]
        for k, item in enumerate(drawn):
            t += timedelta(minutes=rng.randint(3, 600))
            event = "purchase" if rng.random() < 0.3 else "view"
            row = {
                "user_id": user,
                "item_id": item,
                "timestamp": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "event": event,
                "value": "1",
            }
            (test if k == len(drawn) - 1 else train).append(row)
    return train, test


def ticket_rows() -> list[dict[str, str]]:
    rows = []
    n = 0
    for intent, (article, resolution, texts) in INTENTS.items():
        for text in texts:
            n += 1
            rows.append(
                {
                    "ticket_id": f"t-{1000 + n}",
                    "text": text,
                    "intent": intent,
                    "resolution": resolution,
                    "article_id": article,
                }
            )
    return rows


def csv_text(rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def files() -> dict[str, str]:
    """File name -> its text: every file of the tour."""
    train, test = event_rows()
    articles = [{"article_id": a, "title": t, "body": b} for a, t, b in ARTICLES]
    messages = [{"message_id": f"m-{i}", "text": t} for i, t in enumerate(MESSAGES, start=1)]
    return {
        "catalog.csv": csv_text(catalog_rows()),
        "events.csv": csv_text(train),
        "test-events.csv": csv_text(test),
        "tickets.csv": csv_text(ticket_rows()),
        "articles.jsonl": "".join(json.dumps(a) + "\n" for a in articles),
        "messages.csv": csv_text(messages),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write into")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in files().items():
        (args.out / name).write_text(text, encoding="utf-8")
        print(f"wrote {args.out / name} ({len(text):,} bytes)")


if __name__ == "__main__":
    main()
