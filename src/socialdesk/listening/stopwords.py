"""Words too common to say anything in a term table, for the languages mentions mostly come in.

Short lists (articles, pronouns, auxiliaries, prepositions, conjunctions, the commonest adverbs) rather
than exhaustive ones: a word left out only shows up in the table, a word wrongly in would hide a topic.
Every word is normalized as :func:`socialdesk.listening.query.words` normalizes text (``été`` is ``ete``),
and all languages apply to every mention, because a post's language is often unknown or mixed.
"""

from __future__ import annotations

from socialdesk.listening.query import words

_LISTS = {
    "en": """a about above after again against all also am an and any are aren as at be because been before
        being below between both but by can cannot could couldn did didn do does doesn doing don down during each
        even ever every few for from further get gets got had hadn has hasn have haven having he her here hers
        herself him himself his how i if im in into is isn it its itself ive just let ll me more most much must
        my myself no nor not now of off on once one only or other our ours ourselves out over own really re same
        she should shouldn so some still such than that thats the their theirs them themselves then there these
        they theyre this those through to too under until up us very was wasn way we were weren what when where
        which while who whom why will with won would wouldn yet you youre your yours yourself yourselves""",
    "fr": """a ai aie ainsi alors au aucun aussi autre aux avait avec avez avoir avons bien c ca car ce ceci
        cela celle celui ces cet cette chez comme comment d dans de des deja donc du elle elles en encore est et
        etait ete etre eu fait fais faut il ils j je jusqu l la le les leur leurs lui m ma mais me meme mes moi
        mon n ne ni nos notre nous on ont ou par pas peu peut plus pour pourquoi qu quand que quel quelle qui
        s sa sans se ses si son sont sur ta te tes toi ton tous tout toute tres tu un une vos votre vous y""",
    "de": """aber alle alles als also am an auch auf aus bei bin bis bist da dann das dass dein deine dem den
        denn der des dich die dir doch dort du durch ein eine einem einen einer eines er es euch euer fur hab
        habe haben hat hatte ich ihm ihn ihr ihre im in ist ja jetzt kann kein keine mal man mehr mein meine mich
        mir mit muss nach nicht nichts noch nun nur ob oder ohne schon sehr sein seine sich sie sind so uber um
        und uns unser unter vom von vor war waren was weil wenn wer werden wie wir wird wo zu zum zur""",
    "es": """a al algo ante asi aun como con contra cual cuando de del desde donde el ella ellas ellos en entre
        era es esa ese eso esta estan estar este esto estoy fue ha hace hay la las le les lo los mas me mi mis
        mucho muy nada ni no nos nosotros o os otra otro para pero poco por porque que quien se ser si sin sobre
        son su sus tambien te tiene todo todos tu tus un una uno unos y ya yo""",
    "pt": """a ao aos as com como da das de dela dele do dos e ela ele eles em entre era essa esse esta estao
        este eu foi ha isso isto ja la lhe mais mas me mesmo meu minha muito na nao nas nem no nos nossa nosso
        num numa o os ou para pela pelo por porque pra quando que quem se sem ser seu sua sao tambem te tem
        ter tu tua um uma voce""",
    "it": """a ad al alla alle anche che chi ci come con cosa da dal dalla dei del della delle di e ed era gli
        ha hanno ho i il in io la le lei lo loro lui ma mi mia mio ne nel nella no noi non o per perche piu
        poi quando quella quello questa questo se si sia sono su sua suo sul sulla ti tra tu tutto un una uno
        voi""",
    "nl": """aan al als bij dan dat de die dit door een en er had heb hebben heeft hem het hier hij hoe hun ik
        in is ja je kan me meer met mij mijn naar niet nog nu of om ons ook op over te tot u uit van veel voor
        was wat we wel werd wij wordt zal ze zich zijn zo zou""",
}
# What posts carry besides their prose: retweet and link debris, entities.
_SOCIAL = "rt qt mt via cc amp nbsp quot gt lt http https www com org net html"

STOP_WORDS: frozenset[str] = frozenset(w for text in (*_LISTS.values(), _SOCIAL) for w in words(text))
LANGUAGES = tuple(_LISTS)


def is_stop_word(word: str) -> bool:
    """Whether a normalized word is too common to be a term (also: numbers and single characters)."""
    return word in STOP_WORDS or len(word) < 2 or word.isdigit()
