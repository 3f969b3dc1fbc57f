"""`ponder demo`: a question the size of a real one, to look at, demonstrate and measure.

Everything is invented: the town, the people and what they wrote. The same seed gives the same
question (its ids and keys are random, as always); it is written through the service functions,
as a real question would be.
"""

import random
import time
import zoneinfo
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ponder.questions import services
from ponder.questions.models import Argument, Participant, Question

TITLE = "What should our town do with the old railway station?"
DESCRIPTION = """\
Lindenford's station building has stood empty since the ticket office closed. The council has \
bought it back from the rail company, and the roof, the booking hall and the goods shed can be \
repaired (see the [condition survey](https://example.org/lindenford/station-survey)).

Before anything is decided we want to hear from everyone who lives, works or studies here. \
Add ideas, weigh them with pros and cons, like the arguments you agree with and vote for as many \
ideas as you like. The question closes at the end of the month; the five ideas with the most \
votes go to the council meeting with your arguments attached.

Thank you for taking part!"""

ORGANISER = "Station Square Working Group"
PEOPLE = [
    "Amara Okafor", "Tomasz Nowak", "Priya Raman", "Jonas", "Sofia Álvarez",
    "Wei Chen", "Hamza Yilmaz", "Aoife Brennan", "Kwame Mensah", "Leila Haddad",
    "Mateus Oliveira", "Ingrid Halvorsen", "Ravi Iyer", "Yuki Tanaka", "Fatima B.",
    "Olu Adeyemi", "Marta Kowalczyk", "Niamh O'Connor", "Samuel Achterberg", "Chloé Dubois",
    "Tariq Mahmood", "Grace Nakamura-Hill", "Rosa Bianchi", "Eitan Levi", "Zanele Dlamini",
    "Björn Lindqvist", "Ana Petrović", "Malik Johnson", "Siobhan", "Hyun-woo Park",
    "Esperanza Ruiz", "Kofi", "Lena Vogel", "Arjun Mehta", "Mariam Sayed",
    "Teodor Ionescu", "Ifeoma N.", "Pablo Serrano", "Ayesha Siddiqui", "Callum Fraser",
    "Nour El-Amin", "Jun Watanabe", "Beatriz Costa", "Emre Demir", "Hannah Goldberg",
    "Luis Fernández", "Thandiwe Moyo", "Ruth Abernethy", "Declan Byrne", "Mei Ling Tan",
]  # fmt: skip

# (title, description, arguments): "+ " starts a pro, "- " a con. The first ideas are the
# organiser's, as on a real question; the order is also roughly how popular each idea is.
IDEAS: list[tuple[str, str, list[str]]] = [
    (
        "Covered market hall for local producers",
        "Restore the booking hall and the old parcels shed as a covered market, open five days a "
        "week: fresh food, bakers, a repair stall and a few small cafés. Stalls are let at low "
        "rents to traders from the town and the villages around it, with a waiting list run by "
        "the council.",
        [
            "+ The high street has lost its greengrocer and its butcher in three years. A market "
            "puts fresh food back within walking distance for everyone on the east side of town, "
            "and that matters most to people who don't drive.",
            "+ Markets in towns our size bring people in on weekday mornings, and the shops and "
            "cafés nearby get the spill-over.",
            "- Who runs it? Markets need a manager, cleaning, bins and insurance. If the council "
            "has to subsidise it forever, say so now.",
            "+ Low rents let people try a business without risking their savings on a shop lease.",
            "- We already have the Thursday market on Church Street and it is half empty in "
            "winter. Two markets would split the same customers.",
            "+ Move the Thursday market indoors and it isn't competition, it's an upgrade. The "
            "stallholders I spoke to would jump at it: they have been freezing from November to "
            "March for years and losing stock to the rain.",
            "+ The survey says the booking hall roof is the soundest part of the building, so "
            "this is one of the cheaper ideas to get going.",
            "- Parking. The forecourt holds about thirty cars and the street outside is already "
            "full when the primary school lets out.",
            "+ A covered hall can host other things in the evenings: a supper club, a record fair, "
            "the Christmas lights switch-on when it rains.",
            "- Please not another place selling candles and artisan soap. If it's a market, it "
            "has to sell what people buy every week, at prices people on a pension can afford.",
            "+ Agree with the point about prices. Reserve some stalls for the surplus food "
            "project and for growers from the allotments.",
        ],
    ),
    (
        "A new home for the library, with study space",
        "Move the library out of the cramped first floor of the town hall into the main station "
        "building: books, quiet study desks, a children's corner, free wifi and printing, and "
        "rooms that groups can book for the evening. The local history collection, which has "
        "been in boxes in the basement since the flood, would finally go on the shelves.",
        [
            "+ Students have nowhere to revise after five. The current library closes at five and "
            "has six desks.",
            "+ Step-free access. The town hall library is up a flight of stairs and the lift has "
            "been out of order for most of this year.",
            "- Library budgets are being cut everywhere. Moving costs money that could keep the "
            "opening hours we have.",
            "+ A library is one of the few places where you can spend the day without being "
            "expected to buy anything. That is worth a great deal in winter, for people who "
            "cannot afford to heat their homes all day.",
            "- The building is next to the bypass and noisy. Has anyone checked whether a quiet "
            "study room is even possible there?",
            "+ The walls are half a metre thick. Inside the booking hall you can barely hear the "
            "bypass, I was there for the open day.",
            "+ Put it next to the market: people come for the bread and stay to borrow a book.",
            "+ The children's corner would be lovely for parents waiting for the bus.",
            "- What happens to the town hall rooms? Moving the library only helps if the space it "
            "leaves behind is used for something, otherwise we are heating two buildings.",
        ],
    ),
    (
        "Bike hub: repair workshop, secure parking and rental",
        "Covered, secure parking for 200 bikes, a workshop where volunteers teach repairs, and a "
        "few e-bikes to rent. The old platforms are the start of the greenway to Ashcombe anyway.",
        [
            "+ The greenway starts at the end of platform 2. Thousands of cyclists pass every "
            "summer weekend and there is nowhere to fix a puncture or fill a bottle.",
            "+ Secure parking would get more people cycling to the bus and to work. Bikes are "
            "stolen from the rack outside the supermarket every month.",
            "+ Cheap to set up compared with most of the other ideas: racks, lockers and a "
            "container for the workshop.",
            "- It would only be busy in summer. What happens to the space from October to March?",
            "+ Teaching teenagers to fix bikes is a proper skill and a route into work. The "
            "workshop in Holbrook takes two apprentices a year and both of last year's now have "
            "jobs.",
            "- It doesn't need the whole building. Fine as part of another idea, not as the whole "
            "answer.",
            "+ Agreed, it shouldn't be the whole building, but it should be in the plan from day "
            "one: secure bike parking added later, as an afterthought, always ends up in the "
            "wrong corner where nobody feels safe leaving a bike.",
            "+ E-bikes matter here: the hill up to Quarry Road is what stops most people cycling.",
        ],
    ),
    (
        "Youth centre with music rehearsal rooms",
        "Since the youth club closed there is nothing for teenagers in the evening. Soundproofed "
        "rehearsal rooms in the goods shed, a small stage, a kitchen, and youth workers three "
        "evenings a week.",
        [
            "+ There is nothing for 14 to 18 year olds in this town after six. They hang around "
            "the bus shelter because there is nowhere else to go.",
            "+ The goods shed is away from the houses, so bands can play loud without anyone "
            "complaining.",
            "- Youth centres need paid youth workers. The building is the easy part; the staff "
            "are the expensive part, every single year.",
            "+ My son's band practises in our garage and the neighbours are saints. Give them "
            "somewhere to go.",
            "+ Ask the young people what they want before deciding. Last time the council built a "
            "youth shelter that nobody used, because nobody had asked the people it was for, and "
            "it was taken down again two years later.",
            "- Late-night noise and groups gathering next to the bypass: I would want to see how "
            "it is supervised before I vote for it.",
            "+ The sixth form has offered to run a survey of students. Happy to share the results "
            "here when we have them.",
        ],
    ),
    (
        "Bring the trains back",
        "The line to Westborough is still used by freight. Campaign with the neighbouring towns "
        "for a passenger service and keep the building ready to be a station again. Every other "
        "idea on this list is a consolation prize: none of them would bring as many jobs within "
        "reach of the people who live here.",
        [
            "+ The single biggest thing for this town would be a train to Westborough. Forty "
            "minutes on the bus becomes fifteen on the train, and that is where the jobs are.",
            "- People have campaigned for this since the nineties. It is not something our "
            "council can decide, and the building cannot stand empty while we wait.",
            "+ Whatever we choose should keep platform 1 clear so that reopening stays possible. "
            "That costs nothing now.",
            "- Even the optimistic studies say ten years and a lot of money from national "
            "government. Meanwhile the roof is leaking.",
            "+ Lines reopened elsewhere have beaten their passenger forecasts, some of them by a "
            "wide margin. The demand is there, it just isn't counted until the trains run.",
            "+ Don't treat this as either-or. Use the building for something now and keep the "
            "campaign going.",
            "- Freight trains run at night; a passenger service would need a second track and new "
            "signalling. This is not a small job, and the freight operator has never been keen.",
            "+ If we let the building go, the case for reopening gets weaker. A station without a "
            "station building is a harder sell.",
        ],
    ),
    (
        "GP surgery and health centre",
        "",
        [
            "+ It takes three weeks to get a GP appointment. The surgery on Mill Lane is in a "
            "converted house with no room to grow.",
            "- The health service decides where surgeries go, not us. This would be a long "
            "negotiation with no guarantee at the end of it.",
            "+ Central, on the bus route, step-free: the site is ideal for a health centre, and "
            "the car park would finally be useful.",
            "+ Include a pharmacy, and room for the physio and the midwife clinic, which move "
            "between church halls at the moment.",
            "- A surgery would use the building from eight to six on weekdays and leave it dark "
            "the rest of the time. The station should be a place for the whole town.",
            "+ The practice manager at Mill Lane told the patient group they have looked for a "
            "bigger site for six years and found nothing suitable in the town centre. This one "
            "has room to grow, is on a bus route and already belongs to the council.",
        ],
    ),
    (
        "Railway heritage room and the signal box",
        "A small exhibition about the line, the quarry trains and the people who worked here, run "
        "by volunteers, with the old lever frame in the signal box restored. Free for schools.",
        [
            "+ Lindenford exists because of the railway. The quarry, the mill, the terraces on "
            "Station Road: none of it makes sense without the line.",
            "- Small museums struggle to get visitors after the first year. Ask anyone who has "
            "volunteered at one.",
            "+ The lever frame is still in the signal box. Schools would love to pull a real "
            "lever.",
            "- It would take a lot of space for something open three afternoons a week.",
            "+ It doesn't need the whole building: one room and the signal box would do, and it "
            "fits alongside almost any other idea here.",
            "+ My grandfather was a porter here for thirty years. There are photographs in a lot "
            "of attics in this town that would come out for an exhibition, and the stories with "
            "them need recording while the people who remember are still with us.",
        ],
    ),
    (
        "Affordable homes on the goods yard",
        "Build on the goods yard and the car park: thirty to forty flats for rent at a level "
        "people on local wages can afford, with priority for people who grew up here or work "
        "here. The old building itself stays public.",
        [
            "+ Housing is the biggest problem in this town. My children can't afford to live "
            "here and neither can the carers who look after my mother.",
            "- Once it's housing it's gone for everyone else. The station is one of the very few "
            "public places left in the town.",
            "+ The yard is a brownfield site next to the bus route, exactly where new homes should "
            "go instead of on the fields.",
            "- The survey found asbestos in the goods shed, and the yard was used for coal for a "
            "century. Cleaning up a site for homes is stricter than for a market or a workshop, "
            "and that cost comes first, before a single flat is built.",
            "+ Homes on the yard and a public use in the old building: it doesn't have to be one "
            "or the other.",
            "+ Flats next to a market or a library give the area people around the clock, which "
            "makes it feel safer in the evenings too.",
            "- Forty flats and no parking will push cars onto the streets around it.",
        ],
    ),
    (
        "Café and visitor point for the greenway",
        "",
        [
            "+ Walkers and cyclists on the greenway have nowhere to stop between Ashcombe and "
            "here. A café with toilets would be busy every weekend.",
            "+ It could be run as a social enterprise employing people with learning "
            "disabilities, like the café at the garden centre.",
            "- There are three cafés within five minutes' walk already.",
            "+ None of those three is open before ten or on a Sunday afternoon, which is exactly "
            "when the greenway is busiest.",
            "- A café alone won't pay to repair a building this size. It has to be one tenant "
            "among several, otherwise the rent it can afford won't even cover the insurance on "
            "the roof.",
        ],
    ),
    (
        "Repair café and library of things",
        "Borrow a drill, a carpet cleaner or a tent instead of buying one, and bring your toaster, "
        "lamp or torn jacket to the monthly repair café.",
        [
            "+ We all own a drill we've used twice. Borrowing is cheaper and keeps a lot of stuff "
            "out of landfill.",
            "+ The repair café in the church hall is packed every month, and it has been asked to "
            "leave because the hall is being sold.",
            "+ It doesn't need much space, a room and some shelves, so it can sit next to other "
            "uses.",
            "- Who insures borrowed power tools? That is not a small question if someone gets "
            "hurt.",
            "+ The library of things in Fernley has exactly that insurance through the national "
            "network, for a few hundred pounds a year. It's a solved problem.",
        ],
    ),
    (
        "Cinema and events hall",
        "A flat-floor hall with seating that folds away: films on Fridays, gigs, the pantomime, "
        "school concerts, the occasional wedding.",
        [
            "+ The nearest cinema is forty minutes away and the last bus back leaves before most "
            "films end.",
            "- Running a cinema is expensive, and streaming has changed how people watch films.",
            "+ The community cinema in the scout hut sells out every month with a borrowed "
            "projector. Imagine what it could do with a proper room.",
            "- Events halls need a licence, soundproofing, fire exits and staff for every event. "
            "It is a lot to ask of volunteers, and when the volunteers burn out the hall stands "
            "empty.",
            "+ One good hall could be shared by the cinema, the players, the choirs and the "
            "schools instead of each of them hiring somewhere unsuitable.",
        ],
    ),
    (
        "Community energy: solar panels on the platform canopies",
        "The platform canopies face south. Put solar panels on them, owned by a community energy "
        "co-operative, and use the income to help pay for whatever goes inside the building.",
        [
            "+ The canopies face south and nothing shades them. It's the best solar roof in town.",
            "+ A co-operative means the income stays local instead of going to an energy company.",
            "- The canopies are listed. Getting consent for panels on a listed structure can take "
            "years, and the ironwork may not carry the weight without strengthening.",
            "+ Not a use of the building on its own, but it could pay part of the running costs "
            "of any other idea on this list.",
        ],
    ),
    (
        "Let it cheaply for two years and learn",
        "Make it safe, then let rooms at low rents for two years to anyone with a plan, and see "
        "what people actually use before spending millions on a final design.",
        [
            "+ Cheap to try, and you learn what people actually use rather than what they say they "
            "would use in a survey.",
            "+ A lot of successful places started like this. The best uses often aren't the ones "
            "anyone planned.",
            "- Temporary uses have a habit of becoming permanent, whether they're good or not.",
            "- Two years of uncertainty makes it hard for anyone to invest in fitting out a room. "
            "You get pop-ups and stalls, not the things that need proper kitchens, soundproofing "
            "or heavy tools.",
        ],
    ),
    (
        "Co-working space",
        "",
        [
            "+ Half my street works from home now. A desk, decent internet and other people to "
            "talk to two days a week would be great.",
            "- Co-working spaces in small towns often close within two years. Who carries the "
            "risk?",
            "+ It keeps people's lunch money in the town on the days they would otherwise commute.",
            "- The broadband on Station Road is terrible. Fix that first or nobody will pay for "
            "a desk there.",
        ],
    ),
    (
        "Skatepark in the old goods yard",
        "",
        [
            "+ The kids skate on the library steps because there is nowhere else. Give them a "
            "proper park and they will look after it.",
            "- Concrete skateparks are noisy, and the houses on Quarry Row back onto the yard.",
            "+ Designed with the young people who will use it, it costs less than a football "
            "pitch and is used all year round.",
            "- Insurance and upkeep for skateparks are easy to underestimate. Ask the parish "
            "council in Fernley what theirs cost after the first cracks appeared in the bowl: "
            "far more than anyone had budgeted for.",
        ],
    ),
    (
        "Community garden on the platforms",
        "",
        [
            "+ The platforms are already half wild. Raised beds, fruit trees, a strip for "
            "pollinators: beautiful and cheap.",
            "+ People without a garden could grow food. The allotment waiting list is four years "
            "long.",
            "+ The primary school is two streets away and has no garden. Each class could have "
            "a bed and learn where food comes from, and the children would bring their parents "
            "along at the weekend.",
            "- Nice for a corner, but it does nothing for the building itself, which is what is "
            "falling down.",
        ],
    ),
    (
        "Bus and mobility hub",
        "A proper waiting room with toilets and live departure times, car-club cars and e-bike "
        "hire, all where the buses already stop.",
        [
            "+ The buses stop outside already. A warm waiting room would be a huge improvement on "
            "the shelter.",
            "+ Add car-club cars and people could get by without a second car.",
            "- Waiting rooms attract trouble if nobody is around in the evenings. It would have "
            "to be combined with other uses that keep people there until the last bus.",
            "+ Live departure screens cost very little and would stop people standing in the "
            "rain wondering whether the 14 is cancelled again.",
        ],
    ),
    (
        "Sell it and spend the money on the swimming pool",
        "",
        [
            "+ The swimming pool needs a new roof and the council says there is no money. A sale "
            "would pay for it.",
            "- You sell a building once. Then it's gone, and in ten years people will ask why we "
            "didn't keep it.",
            "- A station next to a bypass, with asbestos in the shed, will not fetch much. The "
            "pool would get a fraction of what it needs.",
            "+ Honestly, the council has been talking about this building for twelve years. Sell "
            "it to someone with a plan and the money and let them get on with it.",
            "- What a buyer pays depends on what they are allowed to build. Once we sell, we "
            "lose any say over what happens on the site, and the pool still needs money every "
            "year after the roof is fixed.",
            "+ The council should at least get a valuation, so we know what we are talking "
            "about when people say selling is or isn't worth it.",
        ],
    ),
    (
        "Day centre for older residents",
        "Lunch, activities, a hairdresser once a week and a minibus to bring people in from the "
        "villages.",
        [
            "+ Loneliness is a real problem here. A day centre with lunch and transport would "
            "change lives.",
            "+ The old day centre on Pine Road closed four years ago and there has been nothing "
            "since.",
            "- The station is on the edge of town and up a slope. Older people would need the "
            "minibus for every visit, which costs more than a site in the centre.",
        ],
    ),
    (
        "A permanent home for the food bank",
        "",
        [
            "+ The food bank moves every time a landlord wants the space back. The volunteers "
            "are exhausted. A secure room with a loading bay would help enormously.",
            "+ The old parcels office already has a loading bay, which is exactly what they need "
            "for deliveries.",
            "- Many people find it hard enough to ask for help. A food bank in the most visible "
            "building in town, with the whole bus queue watching, might keep some of them away. "
            "It needs a discreet side entrance at the very least.",
        ],
    ),
    (
        "Artists' studios and a maker space",
        "Affordable studios, and a shared workshop with a laser cutter, 3D printers, woodworking "
        "tools and a kiln. An open studio weekend twice a year.",
        [
            "+ Artists are being priced out of Westborough. They would move here if there were "
            "somewhere to work.",
            "+ A maker space lets people learn to use tools they could never afford to buy. Good "
            "for hobbyists and for small firms making prototypes.",
            "- Studios tend to be locked most of the time. Not much in it for the rest of us.",
            "+ The open studio weekends in Fernley bring in hundreds of visitors. It's not only "
            "for the artists.",
            "- 'Affordable' studios in other towns have ended up at rents only people with "
            "another income can pay. What would the rent actually be?",
        ],
    ),
    (
        "Welcome centre and language café",
        "",
        [
            "+ Many new families have arrived in the last three years. A place to learn English, "
            "get advice and meet neighbours helps everyone settle in.",
            "+ The language café meets in the back room of a pub on Tuesday mornings. It deserves "
            "better than that.",
            "- This matters, but does it need the station? The advice sessions work well in the "
            "library already, and the library may move here anyway.",
        ],
    ),
    (
        "Nursery and after-school club",
        "",
        [
            "+ Both nurseries in town have waiting lists. Parents can't go back to work without "
            "childcare.",
            "- A nursery needs an outdoor space that is safe and quiet. Between the bypass and "
            "the railway line that is going to be hard.",
        ],
    ),
    (
        "Hostel for walkers and cyclists",
        "",
        [
            "+ The greenway and the ridge path meet here, and there is nowhere cheap to stay for "
            "twenty miles.",
            "- Overnight stays need staff at night and a lot of fire-safety work in an old "
            "building.",
            "+ Hostels in converted stations exist all over Europe and they're full every "
            "summer. Walkers spend money in the pubs and shops in the evening, after the "
            "day-trippers have gone home.",
        ],
    ),
    (
        "Theatre for the Lindenford Players",
        "",
        [
            "+ The Players have rehearsed in a school gym for ten years. A home of their own "
            "would transform them.",
            "- A theatre used for two productions a year and empty the rest of the time is not a "
            "good use of the only big building we have.",
            "+ The Players would share it. They have offered the hall to the schools and the "
            "choirs for free on the nights they don't rehearse.",
        ],
    ),
    (
        "Make it safe, then wait for the rail study",
        "Fix the roof, remove the asbestos, open the forecourt, and hold off on a big decision "
        "until the rail study is published next year.",
        [
            "+ Rushing into something big and failing would be worse than waiting a year.",
            "- We have been waiting for twelve years. Every winter the roof gets worse and the "
            "repair bill gets bigger.",
            "+ The rail study may change everything: if trains return, some of these ideas "
            "would want to be next to the platform and some would be in the way. Waiting one "
            "more year for that answer is sensible, as long as the roof is fixed this winter.",
        ],
    ),
    (
        "Start-up units for local businesses",
        "",
        [
            "+ Small units at low rent for the first three years. When the businesses grow, they "
            "stay in the town.",
            "- There are empty units on the industrial estate already. Why would the station do "
            "better?",
            "+ The units on the industrial estate are big sheds. A maker with one workbench or "
            "a two-person design studio needs a room, not a warehouse.",
        ],
    ),
    (
        "Sports hall",
        "",
        [
            "+ The school sports hall is booked solid. The badminton, five-a-side and netball "
            "clubs are turning people away.",
            "- The station is the wrong shape for a sports hall: long, narrow and with a low "
            "ceiling.",
        ],
    ),
    (
        "Night market and food trucks on the forecourt",
        "",
        [
            "+ A monthly night market would get people out on winter evenings. Cheap to try and "
            "easy to stop if it fails.",
            "- Food trucks take trade from the cafés and takeaways that pay business rates all "
            "year round.",
            "+ Invite the cafés and takeaways to run stalls at it. The one in Holbrook did "
            "exactly that, and the restaurant owners there say market nights are now their best "
            "nights of the month, inside and out.",
        ],
    ),
    (
        "Wedding and events venue",
        "",
        [
            "+ Old stations make beautiful venues. It would pay its own way, and other uses could "
            "share the space on weekdays.",
            "- A venue that is private most weekends isn't really a public building any more.",
        ],
    ),
    (
        "Brewery and taproom",
        "",
        [
            "+ A local brewery would bring jobs and visitors and give the building life in the "
            "evening.",
            "- Not everyone wants the town's biggest public space to be about alcohol.",
            "- A brewery means lorries, grain deliveries and the smell of mashing on brewing "
            "days. The houses on Quarry Row would notice.",
        ],
    ),
    (
        "Zero-waste shop and refill station",
        "",
        [
            "+ Bring your own jars for pasta, rice, soap and washing-up liquid. The nearest one "
            "is in Westborough.",
        ],
    ),
    (
        "Model railway club and toy museum",
        "",
        [
            "+ The model railway club has had nowhere to meet since the community centre closed. "
            "They would bring their layout and open at weekends.",
        ],
    ),
    (
        "Board game café and escape room",
        "",
        ["+ Something for a rainy Saturday that isn't a screen."],
    ),
    (
        "Community radio studio",
        "",
        [
            "+ Volunteers already make a podcast about the town in a spare bedroom. A proper "
            "studio would let them train young presenters and broadcast the council meetings "
            "live, which would do more for local democracy than any leaflet.",
        ],
    ),
    (
        "Public toilets, whatever else happens",
        "",
        ["+ There are no public toilets between the park and the supermarket."],
    ),
]

COMMENTS = [  # (index into PEOPLE, or None for the organiser; text)
    (
        None,
        "Thank you all for taking part! We will present the five ideas with the most votes at the "
        "council meeting, with your arguments attached.",
    ),
    (
        17,
        "Could we see the full condition survey? Several arguments here depend on the state of "
        "the roof and the goods shed.",
    ),
    (None, "The survey is linked in the description at the top; the summary is on page 4."),
    (
        33,
        "Many of these ideas could share the building. Could the next round be about "
        "combinations rather than one winner?",
    ),
    (
        46,
        "Printed copies are at the library for anyone who isn't online. Please tell your "
        "neighbours.",
    ),
]

VOTES = 500
LIKES = 300


class Command(BaseCommand):
    help = (
        "Create a demo question the size of a real one (36 ideas, 150 pros and cons, 300 "
        "likes, 500 votes from 50 people, a few comments), with invented people and texts, and "
        "print its share link and admin link."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="where Ponder is served, for the printed links (default: %(default)s)",
        )
        parser.add_argument("--closed", action="store_true", help="close the question afterwards")
        parser.add_argument(
            "--seed", type=int, default=1, help="the same seed gives the same question"
        )

    def handle(self, *args: Any, base_url: str, closed: bool, seed: int, **options: Any) -> None:
        started = time.monotonic()
        # One transaction: a thousand small writes commit once, and a failure leaves nothing.
        with transaction.atomic():
            question, admin_key, counts = _create(random.Random(seed))  # noqa: S311 - not secret
            if closed:
                services.question_close(question=question)
        base = base_url.rstrip("/")
        self.stdout.write(
            f"Created “{question.title}”: {counts} "
            f"in {time.monotonic() - started:.1f} s{' (closed)' if closed else ''}.\n"
            f"Share link: {base}{reverse('question', args=[question.pk])}\n"
            f"Admin link (keep it secret): "
            f"{base}{reverse('admin_link', args=[question.pk, admin_key])}"
        )


def end_of_month(now: datetime, zone: str) -> datetime:
    """The last minute of this month in `zone`, as the description promises; next month's when
    this one has less than a day left, so that the demo stays open to be tried."""
    local = now.astimezone(zoneinfo.ZoneInfo(zone))
    month = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    while True:
        month = (month + timedelta(days=32)).replace(day=1)  # the first of the next month
        last = timezone.make_aware(month.replace(tzinfo=None) - timedelta(minutes=1), month.tzinfo)
        if last - now >= timedelta(days=1):
            return last


def _create(rng: random.Random) -> tuple[Question, str, str]:
    question, admin_key = services.question_create(title=TITLE, description=DESCRIPTION)
    question = services.question_update(
        question=question,
        title=question.title,
        description=question.description,
        allow_ideas=question.allow_ideas,
        allow_arguments=question.allow_arguments,
        max_votes=question.max_votes,
        deadline=end_of_month(timezone.now(), settings.PONDER_TIME_ZONE),
        time_zone=settings.PONDER_TIME_ZONE,
        # The demo shows how a question with a visible leader reads, as tricider's result page
        # does: ordered by votes, not in each reader's own order (a new question's default).
        random_order=False,
    )

    def join(name: str) -> Participant:
        return services.participant_join(question=question, name=name)[0]

    organiser = join(ORGANISER)
    people = [join(name) for name in PEOPLE]

    ideas, arguments = [], []
    for number, (title, description, texts) in enumerate(IDEAS):
        by_organiser = number < 5
        idea = services.idea_add(
            question=question,
            author=organiser if by_organiser else rng.choice(people),
            title=title,
            description=description,
            by_organiser=by_organiser,
        )
        ideas.append(idea)
        for text in texts:
            kind = Argument.Kind.PRO if text.startswith("+") else Argument.Kind.CON
            arguments.append(
                services.argument_add(
                    idea=idea, author=rng.choice(people), kind=kind, text=text[2:]
                )
            )

    # Likes go mostly to a few strong arguments, never to one's own.
    weights = [rng.random() ** 2 for _ in arguments]
    likes: set[tuple[int, int]] = set()
    while len(likes) < LIKES:
        a = rng.choices(range(len(arguments)), weights)[0]
        p = rng.randrange(len(people))
        if (a, p) not in likes and arguments[a].author_id != people[p].pk:
            likes.add((a, p))
            services.like_add(argument=arguments[a], participant=people[p])

    # Approval voting: each person votes for several ideas, the earlier ideas more often.
    # Weighted sampling without replacement (Efraimidis-Spirakis): the k largest u ** (1/w).
    budgets = _split(VOTES, len(people), rng, low=2, high=len(ideas) // 2)
    popularity = [0.9**i for i in range(len(ideas))]
    votes = []
    for person, budget in zip(people, budgets, strict=True):
        keys = [(rng.random() ** (1 / w), i) for i, w in enumerate(popularity)]
        votes += [(person, ideas[i]) for _key, i in sorted(keys, reverse=True)[:budget]]
    # In the order people came by, so that each idea has its own first voters.
    rng.shuffle(votes)
    for person, idea in votes:
        services.vote_cast(idea=idea, participant=person)

    for who, text in COMMENTS:
        author = organiser if who is None else people[who]
        services.comment_add(question=question, author=author, text=text)

    counts = (
        f"{len(ideas)} ideas, {len(arguments)} arguments, {len(likes)} likes, "
        f"{len(votes)} votes from {len(people)} people, {len(COMMENTS)} comments"
    )
    return question, admin_key, counts


def _split(total: int, parts: int, rng: random.Random, *, low: int, high: int) -> list[int]:
    """`parts` random numbers between `low` and `high` that add up to `total`."""
    sizes = [rng.randint(low, high) for _ in range(parts)]
    while (diff := total - sum(sizes)) != 0:
        i = rng.randrange(parts)
        step = 1 if diff > 0 else -1
        if low <= sizes[i] + step <= high:
            sizes[i] += step
    return sizes
