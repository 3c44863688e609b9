"""The built-in letter texts, in the patient's language (not the user interface's): the frame every letter has,
and the default template per treatment. A unit replaces a treatment's text on the templates page
(LetterTemplate); the frame's sentences are written around it.

Placeholders in braces are filled from the signed decision and its rehabilitation plan: {first_name},
{treatment}, {side}, {surgery_date}, {latency_days}, {rate}, {distraction_start}, {distraction_end}, {target_cm},
{consolidation_end}, {months}, {visit_count}, {first_visit}, {follow_up_date}, {device}. An unknown placeholder is
left as typed; a value the plan does not have yet reads "(to be set)".
"""

from __future__ import annotations

FRAME = {
    "sv": {
        "title": "Förslag efter behandlingskonferensen",
        "regarding": "Gäller",
        "identity": "Personnummer",
        "greeting_adult": "Hej {full_name}!",
        "greeting_child": "Till vårdnadshavare för {full_name}",
        "intro_adult": (
            "Den {conference_date} träffades vårt team av ortopeder, fysioterapeuter och andra specialister och "
            "pratade om dina ben. Här berättar vi vad vi föreslår, varför, och vad som händer sedan."
        ),
        "intro_child": (
            "Den {conference_date} träffades vårt team av ortopeder, fysioterapeuter och andra specialister och "
            "pratade om {first_name}s ben. Här berättar vi vad vi föreslår, varför, och vad som händer sedan. Brevet "
            "är skrivet så att ni kan berätta det för {first_name}."
        ),
        "proposal": "Vårt förslag: {treatment}",
        "wishes_adult": "Det du berättade för oss har betydelse för förslaget: {wishes}",
        "wishes_child": "Det ni och {first_name} berättade för oss har betydelse för förslaget: {wishes}",
        "for_child": "Att berätta för {first_name}",
        "next_appointment": "Nästa besök: {follow_up_date}.",
        "no_appointment": "Vi skickar en kallelse till nästa besök.",
        "answer": (
            "Svara oss senast {answer_by}: om du tackar ja till förslaget, tackar nej, eller vill prata med oss "
            "först. Ring eller skriv till oss (se nedan). Du får alltid tacka nej; då pratar vi om andra möjligheter."
        ),
        "contact": "Frågor? Kontakta {clinician}, {unit}. {contact}",
        "signature": "Med vänliga hälsningar",
        "to_be_set": "(bestäms senare)",
        "date_later": "ett datum som vi meddelar senare",
        "sides": {"left": "vänster ben", "right": "höger ben", "both": "båda benen"},
        "page": "Sida",
        "of": "av",
    },
    "en": {
        "title": "Our proposal after the treatment conference",
        "regarding": "Regarding",
        "identity": "Identity number",
        "greeting_adult": "Dear {full_name},",
        "greeting_child": "To the parents or guardians of {full_name},",
        "intro_adult": (
            "On {conference_date} our team of orthopaedic surgeons, physiotherapists and other specialists met and "
            "talked about your legs. This letter tells you what we propose, why, and what happens next."
        ),
        "intro_child": (
            "On {conference_date} our team of orthopaedic surgeons, physiotherapists and other specialists met and "
            "talked about {first_name}'s legs. This letter tells you what we propose, why, and what happens next. "
            "It is written so that you can tell {first_name} about it."
        ),
        "proposal": "Our proposal: {treatment}",
        "wishes_adult": "What you told us mattered for this proposal: {wishes}",
        "wishes_child": "What you and {first_name} told us mattered for this proposal: {wishes}",
        "for_child": "To tell {first_name}",
        "next_appointment": "Your next appointment: {follow_up_date}.",
        "no_appointment": "We will send you a time for your next appointment.",
        "answer": (
            "Please tell us by {answer_by} whether you accept the proposal, decline it, or want to talk with us "
            "first: call or write to us (below). You may always decline; we will then talk about other options."
        ),
        "contact": "Questions? Contact {clinician}, {unit}. {contact}",
        "signature": "Kind regards",
        "to_be_set": "(to be set)",
        "date_later": "a date we will let you know",
        "sides": {"left": "the left leg", "right": "the right leg", "both": "both legs"},
        "page": "Page",
        "of": "of",
    },
}

# (body, text for the child) per treatment and language.
TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "no_treatment": {
        "sv": (
            (
                "Vi föreslår ingen behandling nu. Skillnaden i benlängd är liten och ger inte besvär som en behandling "
                "skulle hjälpa mot. Hör av dig om besvären ökar."
            ),
            "Benen är nästan lika långa. {first_name} behöver ingen behandling och kan göra allt som vanligt.",
        ),
        "en": (
            (
                "We propose no treatment now. The difference in leg length is small and does not cause problems a "
                "treatment would help with. Please contact us if the problems grow."
            ),
            "The legs are almost the same length. {first_name} needs no treatment and can do everything as usual.",
        ),
    },
    "insoles": {
        "sv": (
            (
                "Vi föreslår ett inlägg eller en förhöjning av skon på den kortare sidan ({side}). Det jämnar ut "
                "skillnaden när du står och går, utan operation. Ortopedteknikern provar ut inlägget."
            ),
            "{first_name} får en extra sula i skon, så att benen blir lika långa när {first_name} går och springer.",
        ),
        "en": (
            (
                "We propose an insole or a raised shoe on the shorter side ({side}). It evens out the difference when "
                "you stand and walk, without an operation. The orthotist fits the insole."
            ),
            "{first_name} gets an extra sole in one shoe, so the legs are the same length when walking and running.",
        ),
    },
    "epiphysiodesis": {
        "sv": (
            (
                "Vi föreslår en liten operation (epifysiodes) på det längre benet: tillväxtzonen nära knät stängs, så "
                "att det längre benet slutar växa medan det kortare växer ikapp. Operationen planeras till "
                "{surgery_date}. De flesta går hem samma dag eller dagen efter och går med stöd några veckor."
            ),
            (
                "Läkaren gör en liten operation vid knät på det längre benet, så att det växer långsammare. Då hinner "
                "det andra benet ikapp medan {first_name} växer."
            ),
        ),
        "en": (
            (
                "We propose a small operation (epiphysiodesis) on the longer leg: the growth plate near the knee is "
                "closed, so the longer leg stops growing while the shorter one catches up. The operation is planned for "
                "{surgery_date}. Most children go home the same day or the day after and walk with support for a few "
                "weeks."
            ),
            (
                "The doctor does a small operation at the knee of the longer leg, so that it grows more slowly. Then the "
                "other leg can catch up while {first_name} grows."
            ),
        ),
    },
    "lengthening_frame": {
        "sv": (
            (
                "Vi föreslår att förlänga {side} med en yttre ram. Vid operationen ({surgery_date}) delas benet och "
                "ramen sätts på. Efter en vilotid på {latency_days} dagar förlängs benet med ungefär {rate} mm om dagen, "
                "från {distraction_start} till {distraction_end}, tills det har blivit {target_cm} cm längre. Sedan "
                "läker benet med ramen kvar till omkring {consolidation_end}: hela behandlingen tar ungefär {months} "
                "månader. Du kommer på {visit_count} besök med röntgen, det första {first_visit}, och tränar med "
                "fysioterapeut under hela tiden."
            ),
            (
                "Läkaren sätter en ram runt benet. Varje dag vrider man lite på ramen så att benet växer en millimeter. "
                "Det tar några månader, och {first_name} tränar med en fysioterapeut hela tiden."
            ),
        ),
        "en": (
            (
                "We propose lengthening {side} with an external frame. At the operation ({surgery_date}) the bone is "
                "divided and the frame is fitted. After a rest of {latency_days} days the bone is lengthened by about "
                "{rate} mm a day, from {distraction_start} to {distraction_end}, until it is {target_cm} cm longer. The "
                "bone then heals with the frame on until about {consolidation_end}: the whole treatment takes about "
                "{months} months. You will have {visit_count} visits with X-rays, the first on {first_visit}, and "
                "train with a physiotherapist throughout."
            ),
            (
                "The doctor puts a frame around the leg. Every day the frame is turned a little, so the bone grows one "
                "millimetre. It takes a few months, and {first_name} trains with a physiotherapist all the time."
            ),
        ),
    },
    "lengthening_nail": {
        "sv": (
            (
                "Vi föreslår att förlänga {side} med en förlängningsspik inuti benet ({device}). Vid operationen "
                "({surgery_date}) delas benet och spiken sätts in. Efter en vilotid på {latency_days} dagar förlängs "
                "benet med ungefär {rate} mm om dagen, från {distraction_start} till {distraction_end}, tills det har "
                "blivit {target_cm} cm längre. Du belastar benet försiktigt tills det har läkt, omkring "
                "{consolidation_end}: hela behandlingen tar ungefär {months} månader. Du kommer på {visit_count} besök "
                "med röntgen, det första {first_visit}, och tränar med fysioterapeut under hela tiden."
            ),
            (
                "Läkaren sätter in en spik inuti benet. Varje dag förlängs spiken med en magnet så att benet växer en "
                "millimeter. {first_name} tränar med en fysioterapeut hela tiden."
            ),
        ),
        "en": (
            (
                "We propose lengthening {side} with a lengthening nail inside the bone ({device}). At the operation "
                "({surgery_date}) the bone is divided and the nail is put in. After a rest of {latency_days} days the "
                "bone is lengthened by about {rate} mm a day, from {distraction_start} to {distraction_end}, until it "
                "is {target_cm} cm longer. You put only light weight on the leg until it has healed, about "
                "{consolidation_end}: the whole treatment takes about {months} months. You will have {visit_count} "
                "visits with X-rays, the first on {first_visit}, and train with a physiotherapist throughout."
            ),
            (
                "The doctor puts a nail inside the bone. Every day the nail is made a little longer with a magnet, so "
                "the bone grows one millimetre. {first_name} trains with a physiotherapist all the time."
            ),
        ),
    },
    "deformity_correction": {
        "sv": (
            (
                "Vi föreslår en operation som rätar upp benets felställning på {side}. Operationen planeras till "
                "{surgery_date}. Efteråt tränar du med fysioterapeut och kommer på kontroller tills benet har läkt."
            ),
            "Läkaren gör en operation så att benet blir rakare. Efteråt tränar {first_name} med en fysioterapeut.",
        ),
        "en": (
            (
                "We propose an operation that straightens the leg ({side}). The operation is planned for "
                "{surgery_date}. Afterwards you train with a physiotherapist and come for check-ups until the bone has "
                "healed."
            ),
            (
                "The doctor does an operation so that the leg becomes straighter. Afterwards {first_name} trains with a "
                "physiotherapist."
            ),
        ),
    },
    "deformity_correction_lengthening": {
        "sv": (
            (
                "Vi föreslår en operation som både rätar upp och förlänger {side}. Vid operationen ({surgery_date}) "
                "rätas benet upp; efter {latency_days} dagar förlängs det med ungefär {rate} mm om dagen, från "
                "{distraction_start} till {distraction_end} ({target_cm} cm). Benet har läkt omkring "
                "{consolidation_end}: hela behandlingen tar ungefär {months} månader, med {visit_count} besök, det "
                "första {first_visit}."
            ),
            (
                "Läkaren gör benet rakare och längre. Varje dag växer benet en millimeter. {first_name} tränar med en "
                "fysioterapeut hela tiden."
            ),
        ),
        "en": (
            (
                "We propose an operation that both straightens and lengthens {side}. At the operation ({surgery_date}) "
                "the leg is straightened; after {latency_days} days it is lengthened by about {rate} mm a day, from "
                "{distraction_start} to {distraction_end} ({target_cm} cm). The bone has healed about "
                "{consolidation_end}: the whole treatment takes about {months} months, with {visit_count} visits, the "
                "first on {first_visit}."
            ),
            (
                "The doctor makes the leg straighter and longer. Every day the bone grows one millimetre. {first_name} "
                "trains with a physiotherapist all the time."
            ),
        ),
    },
    "further_investigation": {
        "sv": (
            (
                "Innan vi kan föreslå en behandling behöver vi veta mer. Vi kallar dig till fler undersökningar och tar "
                "sedan upp frågan igen på konferensen."
            ),
            "Läkarna vill titta lite mer på {first_name}s ben innan de bestämmer vad som är bäst.",
        ),
        "en": (
            (
                "Before we can propose a treatment we need to know more. We will call you for further examinations and "
                "then discuss the question again at the conference."
            ),
            "The doctors want to look a little more at {first_name}'s legs before they decide what is best.",
        ),
    },
    "rediscuss": {
        "sv": (
            (
                "Vi vill diskutera frågan en gång till på en kommande konferens innan vi ger ett förslag. Du får ett nytt "
                "brev efter det."
            ),
            "Läkarna ska prata om {first_name}s ben en gång till.",
        ),
        "en": (
            (
                "We want to discuss the question once more at a coming conference before we make a proposal. You will "
                "get a new letter after that."
            ),
            "The doctors will talk about {first_name}'s legs once more.",
        ),
    },
}
LANGUAGE_NAMES = (("sv", "Svenska"), ("en", "English"))
