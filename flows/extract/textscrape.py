"""Clean plain-text scrapes of news pages: headline, lead, body, byline and dateline.

A text scrape is the visible text of a news page copied into a ``.txt`` file:
site chrome (skip links, menus, share bars, cookie notices, adverts), the
headline, often a standfirst, bylines and datelines, photo captions and
credits, the article body, then trailing chrome (related stories, comments,
newsletter boxes, copyright). :func:`clean_text_scrape` recovers the article
with language-agnostic structure first and small multilingual lexicons second
(pure: standard library and regular expressions only):

1. The text is cut into lines (hard-wrapped paragraphs are re-joined) and
   every line gets features: length (CJK-aware), sentence-final punctuation,
   stopword density (the JusText idea; text has no link density), and lexicon
   hits for chrome, notices addressed to the reader, captions, credits,
   bylines and datelines. Short lines repeated three times are chrome.
2. The body is the densest run of prose: a maximum-sum segment over lines in
   which prose counts for its length (half when it stands alone, like teaser
   text) and everything else counts against, bylines and datelines most. The
   run ends where prose stops, or at a "Related"/"Mehr zum Thema" marker.
3. The lead is the first prose line of that run that is not cut off from the
   rest by header furniture (bylines, datelines) or by a photo credit, and is
   not a picture description (a full calendar date, "pictured", "FILE -").
4. The headline is the best-scoring title-shaped line above the lead: length,
   punctuation, being followed by bylines/datelines, not sitting inside them,
   not next to a photo credit, not a UI string, and (when ``url`` is given)
   sharing words with the URL slug. Below a confidence bar it is ``None``.
5. A standfirst becomes ``description`` only when it sits between headline and
   lead with nothing but header furniture around it and is not a second
   headline. Authors come only from explicit bylines ("By", "Von", "Par",
   ...); dates only from datelines near the headline: a labelled "published"
   date first, then a bare date if one headline was found and all bare dates
   agree, then an "updated" date. Never from captions or the body.

Nothing is guessed: a headline without enough evidence, an ambiguous date
(``03/04/2024`` in English), a relative date ("2 hours ago") or a date in a
caption all give ``None``. Every line that does not make it into the text is
listed in ``dropped`` with a reason (chrome, caption, credit, byline,
dateline, header, headline, description, trailing).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote, urlsplit

from flows.errors import ScrapeTooLargeError

__all__ = [
    "DEFAULT_MAX_CHARS",
    "TextScrape",
    "clean_text_scrape",
]

logger = logging.getLogger(__name__)

DEFAULT_MAX_CHARS = 10 * 1024 * 1024  # the pipeline's decoded-page cap; runs in linear time


@dataclass(frozen=True, slots=True)
class TextScrape:
    """What :func:`clean_text_scrape` recovered from one text scrape.

    ``published_at`` carries a timezone only when the dateline names one
    ("BST", "+02:00", "Z"); otherwise it is the publisher's local wall time,
    naive. ``language`` is an ISO 639-1 guess from stopwords or script, or
    ``None``. ``dropped`` lists ``(line, reason)`` for every line left out of
    ``text``, in input order.
    """

    title: str | None
    text: str  # the body from the lead on, paragraphs joined by a blank line
    description: str | None
    authors: tuple[str, ...]
    published_at: datetime | None
    language: str | None
    dropped: tuple[tuple[str, str], ...]


# --------------------------------------------------------------------------- lexicons
#
# Chrome strings are compared after _key(): casefolded, letters only, single
# spaces. They are one signal among several: structure decides most lines.

_CHROME_PHRASES = """
skip to content|skip to main content|skip to navigation|skip to search|skip to footer
skip navigation|skip to main navigation|jump to content|go to content|accessibility links
accessibility statement|accessibility help|breaking news|menu|main menu|open menu|close menu
toggle menu|navigation|open navigation|close|search|search for|sign in|sign out|log in|log out
login|logout|sign up|register|subscribe|subscribe now|subscribed|subscriber|my account|account
manage account|share|shares|share this|share this article|share this story|share this page
share on facebook|share on twitter|share via email|share article|tweet|email|e mail|mail|print
print this page|copy link|copy|link copied|save|saved|save article|bookmark|comments|comment
view comments|show comments|advertisement|advertising|sponsored|sponsored content|ad|ads
paid content|cookies|cookie settings|cookie policy|accept|accept all|accept cookies|reject all
manage cookies|manage preferences|privacy|privacy policy|privacy settings|terms|terms of use
terms and conditions|terms of service|contact|contact us|about|about us|newsletter|newsletters
sign up to our newsletter|related|related articles|related stories|related content|related topics
related news|read more|read next|more|show more|load more|see more|see all|view all|more stories
more news|most read|most popular|most viewed|trending|trending now|latest|latest news
latest stories|top stories|follow us|follow|home|homepage|back to top|next|previous|next article
previous article|up next|image|photo|photos|gallery|play|pause|loading|video loading|video|videos
watch|listen|live|podcast|podcasts|copyright|all rights reserved|read in app|get the app
download the app|open in app|topics|tags|editions|edition|more from|you may also like
you might also like|recommended|recommended for you|we recommend|advertise|careers|jobs|sitemap
rss|help|faq|feedback|settings|dark mode|light mode|cancel|ok|yes|no|more on this story
in other news|what to read next|you may like|scroll to continue|sections|show|hide|expand|collapse
listen to article|listen to this article|audio|flipboard|reddit|linkedin|whatsapp|telegram
pinterest|facebook|twitter|instagram|youtube|tiktok|x|threads|bluesky|messenger|sms|send
print options|reprints|permissions|more options|options|english|language|languages|translate
report an error|corrections|zum inhalt springen|zum hauptinhalt|zur navigation|direkt zum inhalt
springe zum hauptinhalt|hauptnavigation|nebennavigation|inhalt|fußzeile|suche|suchen|menü|anmelden
abmelden|einloggen|registrieren|abonnieren|abo|jetzt abonnieren|teilen|artikel teilen|drucken
kommentare|kommentieren|anzeige|werbung|datenschutz|datenschutzerklärung|impressum|kontakt
mehr zum thema|lesen sie auch|das könnte sie auch interessieren|weitere artikel|weiterlesen|mehr
startseite|schließen|zurück|weiter|alle rechte vorbehalten|cookie einstellungen|einstellungen
zustimmen|akzeptieren|alle akzeptieren|ablehnen|merken|artikel merken|vorlesen|artikel anhören
anhören|mehr anzeigen|themen|schlagworte|meistgelesen|newsletter abonnieren|zur startseite
nach oben|teilen auf facebook|link kopieren|fehler melden|feedback geben|jetzt lesen
artikel vorlesen|lesezeit|audio abspielen|aller au contenu|passer au contenu
aller au contenu principal|accès direct au contenu|rechercher|recherche|se connecter|connexion
se déconnecter|s abonner|abonnez vous|je m abonne|partager|imprimer|commentaires|commenter
publicité|lire aussi|à lire aussi|lire la suite|voir plus|accueil|fermer
politique de confidentialité|mentions légales|tous droits réservés|suivez nous|lien copié
partager cet article|copier le lien|sur le même sujet|les plus lus|passer la publicité
saltar al contenido|ir al contenido|ir al contenido principal|buscar|búsqueda|iniciar sesión
cerrar sesión|suscríbete|suscribirse|compartir|imprimir|comentarios|comentar|publicidad
lee también|leer más|ver más|te puede interesar|más información|inicio|cerrar
política de privacidad|aviso legal|todos los derechos reservados|síguenos|lo más leído
noticias relacionadas|compartir en facebook|vai al contenuto|salta al contenuto|cerca|accedi
abbonati|condividi|stampa|commenti|pubblicità|leggi anche|leggi di più|continua a leggere|chiudi
tutti i diritti riservati|seguici|i più letti|ir para o conteúdo|saltar para o conteúdo|pesquisar
entrar|assine|assinar|compartilhar|partilhar|comentários|publicidade|leia também|leia mais
veja também|todos os direitos reservados|siga nos|naar de inhoud|ga naar de inhoud|zoeken|inloggen
uitloggen|abonneren|delen|reacties|advertentie|lees ook|lees meer|meer|sluiten
alle rechten voorbehouden|volg ons|meest gelezen|till innehållet|hoppa till innehållet|sök
logga in|logga ut|prenumerera|dela|annons|läs också|läs mer|kommentarer|mest läst|spara|stäng
gå til indhold|søg|log ind|log ud|del|annonce|læs også|læs mere|abonnement|luk|mest læste
hopp til innhold|søk|logg inn|logg ut|annonse|les også|les mer|mest lest|lukk|przejdź do treści
szukaj|zaloguj|zaloguj się|wyloguj|subskrybuj|udostępnij|reklama|czytaj także|czytaj też
czytaj więcej|zobacz też|zobacz także|komentarze|zamknij|najczęściej czytane|přejít na obsah
hledat|přihlásit|přihlásit se|odhlásit|sdílet|čtěte také|komentáře|zavřít|tisk|ara|giriş yap
paylaş|reklam|ilginizi çekebilir|yorumlar|kapat|abone ol|haberin devamı|tümü|cari|masuk|bagikan
iklan|baca juga|tutup|berita terkait|поиск|войти|поделиться|реклама|читайте также|комментарии
закрыть|подписаться|пошук|увійти|поділитися|коментарі|читайте також
""".replace("\n", "|")

_TRAILING_PHRASES = """
related|related articles|related stories|related content|related topics|related news|read more
read next|more stories|more news|more on this story|more from|you may also like
you might also like|recommended|recommended for you|we recommend|most read|most popular
most viewed|comments|view comments|show comments|trending|trending now|top stories|latest news
latest stories|what to read next|in other news|more like this|popular|editor s picks
sponsored stories|around the web|from our partners|mehr zum thema|lesen sie auch
das könnte sie auch interessieren|weitere artikel|meistgelesen|mehr aus dem ressort|mehr von
kommentare|empfehlungen|auch interessant|zum thema|weitere themen|sur le même sujet|les plus lus
à lire aussi|lire aussi|dans la même rubrique|commentaires|noticias relacionadas|lo más leído
te puede interesar|más noticias|comentarios|contenido relacionado|leggi anche|i più letti
articoli correlati|potrebbe interessarti|commenti|leia também|veja também|mais lidas
notícias relacionadas|comentários|lees ook|meest gelezen|gerelateerde artikelen|reacties|läs också
mest läst|relaterat|kommentarer|læs også|mest læste|relaterede artikler|les også|mest lest
relaterte saker|czytaj także|zobacz także|najczęściej czytane|komentarze|čtěte také|nejčtenější
komentáře|ilginizi çekebilir|yorumlar|baca juga|berita terkait|читайте также|комментарии
читайте також
""".replace("\n", "|")

# Words that, glued together without spaces, make up a share bar
# ("FacebookTwitterFlipboardSendReddit").
_SHARE_WORDS = (
    "facebook|twitter|flipboard|send|reddit|messenger|linkedin|vk|whatsapp|telegram|pinterest|"
    "email|e-mail|mail|print|copy|link|sms|threads|bluesky|x|xing|tumblr|pocket|share|tweet|"
    "comments?|gettr|gab|parler|truth|mastodon|instagram|youtube|tiktok|copied|save|more"
)
_SHARE_BAR = re.compile(rf"^(?:(?:{_SHARE_WORDS})[\s|•·/,]*){{2,}}$")

# Lines that start like in-body chrome: "Read more: ...", "ADVERTISEMENT".
_CHROME_PREFIX = re.compile(
    r"^(?:read more|read also|also read|see also|related|watch|listen|recommended|advertisement"
    r"|sponsored|more|lesen sie auch|lesen sie mehr|mehr zum thema|auch interessant|siehe auch"
    r"|zum thema|anzeige|werbung|lire aussi|à lire aussi|voir aussi|leer más|lee también"
    r"|leggi anche|leia também|lees ook|läs också|læs også|les også|czytaj także|czytaj też"
    r"|čtěte také|baca juga|читайте также|читайте також|ilginizi çekebilir)\s*[:>»|–—·-]",
)

# Vocabulary of sentences about the site rather than the story (paywalls, consent, apps).
_UI_TERMS = re.compile(
    r"\b(?:subscri(?:be|ber|ption)s?|sign(?:ed)?\s+(?:in|up)|log(?:ged)?\s+in|newsletters?|cookies?"
    r"|browser|javascript|ad\s?blocker|unlimited\s+access|click\s+here|tap\s+here|your\s+inbox"
    r"|privacy\s+policy|email\s+address|already\s+a\s+(?:subscriber|member)|free\s+trial"
    r"|bookmark|this\s+audio|notifications?|abonn\w*|anmelden|registrier\w*|werbeblocker"
    r"|klicken\s+sie|melden\s+sie\s+sich|vorlesefunktion|audioversion|einwilligung|zustimmung"
    r"|plus-artikel|freischalten|inscri\w+|cliquez|navigateur|consentement|suscri\w+|regístrate"
    r"|inicia\s+sesión|navegador|haz\s+clic|accedi|registrat[io]|clicca|consenso|assinante"
    r"|cadastr\w+|clique|nieuwsbrief|inloggen|prenumer\w+|logga\s+in|nyhetsbrev|nyhedsbrev"
    r"|log\s+ind|logg\s+inn|subskryp\w*|zaloguj|przeglądar\w*|kliknij|předplat\w*|přihlás\w*"
    r"|affiliate|this\s+(?:article|story|content)|dieser\s+artikel|diesen\s+artikel|cet\s+article"
    r"|este\s+artículo|questo\s+articolo|este\s+artigo|dit\s+artikel|denna\s+artikel|denne\s+artikel"
    r"|ten\s+artykuł|tento\s+článek|account|konto|compte|cuenta|paywall|e-?paper|embed\w*"
    r"|einbetten|link\s+(?:kopier\w*|copied|copiado|copiato|copié)|copy\s+link|přihla\w*"
    r"|salvat[oi]|sélections?|in\s+(?:der|the|our)\s+app|app\s+store|google\s+play|donat\w+"
    r"|samtykke|personvern|informasjonskapsler|dataskydd|en\s+partenariat\s+avec"
    r"|in\s+partnership\s+with|in\s+kooperation\s+mit|sponsored\s+by|präsentiert\s+von"
    r"|articles?\s+(?:per|a)\s+month|unlimited|unbegrenzt|illimité|ilimitado|failed\s+to\s+load"
    r"|konnte\s+nicht\s+geladen|refreshing\s+your|spende\w*|remove\s+ads|werbefrei"
    r")\b|会員|ログイン|購読|有料|こちら|ご覧ください|クッキー|로그인|구독",
)
# Reading time, relative times and bare clock times: header furniture.
_READ_TIME = re.compile(
    r"\b(?:\d+\s*(?:min(?:ute)?s?\.?\s+(?:read|lesezeit|de\s+lecture|de\s+lectura|di\s+lettura))"
    r"|(?:lesezeit|lesedauer|reading\s+time|temps\s+de\s+lecture|tiempo\s+de\s+lectura"
    r"|tempo\s+di\s+lettura|leestijd|lästid|læsetid|lesetid|czas\s+czytania)\s*:?\s*\d+)",
)
_RELATIVE_TIME = re.compile(
    r"\b\d+\s*(?:s|sec|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|sekunden|minuten|stunden"
    r"|tagen?|heures?|jours?|segundos|minutos|horas|días|secondi|minuti|ore|giorni|uur|dagen"
    r"|timmar|dagar|timer|dage|dager|godzin|minut|dni|hodin|dní|saat|dakika|gün|jam|hari"
    r"|часов|часа|минут|дней|weeks?|months?|years?|wochen|monaten|jahren|semaines|mois|semanas"
    r"|meses)\b|\bago\b|\b(?:heute|gestern|today|yesterday|aujourd'hui|hoy|ayer|oggi|ieri"
    r"|vandaag|gisteren|idag|igår|i\s+dag|i\s+går|dzisiaj|wczoraj|dnes|včera|bugün|dün"
    r"|сегодня|вчера)\b.*\d|\bvor\s+\d|\bil\s+y\s+a\b|\bhace\s+\d"
    r"|\d+\s*(?:分前|時間前|日前|분\s*전|시간\s*전)",
)
# Words that describe a picture rather than tell a story, for lines near the headline.
_PICTURE_WORDS = re.compile(
    r"\b(?:pictured|in\s+this\s+(?:picture|photo|image|handout)|(?:is|are)\s+seen|seen\s+here"
    r"|poses?\s+for|photographed|photo\s+taken|undated|from\s+left|l-r|von\s+links|à\s+gauche"
    r"|de\s+izquierda\s+a\s+derecha|da\s+sinistra|aufgenommen\s+am|von\s+li\.?(?:\s+nach\s+re)?"
    r"|v\.\s?l\.(?:\s?n\.\s?r\.)?)\b"
    r"|\((?:left|right|centre|center|l\.|r\.|m\.|links|rechts|mitte|à\s+gauche|à\s+droite)\)",
    re.IGNORECASE,
)
_CJK_CHROME = re.compile(
    r"シェア|印刷|ブックマーク|공유|인쇄|스크랩|分享|打印|收藏|閉じる|닫기|保存"
)
_BREADCRUMB = re.compile(
    r"^(?:(?:you are here|du befindest dich hier|sie sind hier)\s*:|.*(?:\s[»›/]\s.*){2,}$"
    r"|(?:[^>]+>){2,}[^>]+$)",
)
_CJK_DATE_CHARS = re.compile(r"[年月日時分秒更新発行公開入力수정입력년월일시분()（）]")
_LEGAL = re.compile(
    r"copyright\s*(?:©|\(c\))|©\s*(?:\d{4}|copyright)|all\s+rights\s+reserved|alle\s+rechte\s+vorbehalten"
    r"|tous\s+droits\s+réservés|todos\s+los\s+derechos\s+reservados|tutti\s+i\s+diritti\s+riservati"
    r"|todos\s+os\s+direitos\s+reservados|alle\s+rechten\s+voorbehouden|wszelkie\s+prawa\s+zastrzeżone"
    r"|všechna\s+práva\s+vyhrazena|tüm\s+hakları\s+saklıdır|все\s+права\s+защищены|無断転載|無断複製"
    r"|版权所有|版權所有|무단\s*전재|재배포\s*금지",
)
_LEGAL_HINT = re.compile(
    r"©|copyright|right|recht|droit|derecho|diritt|direit|praw|práv|hakl|прав|無断|版|무단|재배포",
)
_CLOCK_ONLY = re.compile(r"^[\s\d:./,|–—-]*\d[\s\d:./,|–—-]*$")

# Photo credits: agencies and the words that introduce a credit.
_CREDIT_WORDS = re.compile(
    r"(?:\bgetty(?:\s+images)?\b|\breuters\b|\bap\s+photo\b|\(ap\)|\bafp\b|\bdpa\b|\bepa\b|\bimago\b"
    r"|\bshutterstock\b|\bistock(?:photo)?\b|\bkeystone\b|\bapa\b|\balamy\b|\bpa\s+(?:wire|media)\b"
    r"|\banp\b|\bansa\b|\befe\b|\bxinhua\b|\bpicture[\s-]alliance\b|\bsipa\b|\bbelga\b"
    r"|\britzau\b|\bntb\b|\btt\b|\bphotograph(?:er)?\s*:|\bphotos?\s*:|\bfotos?\s*:|\bbild\s*:"
    r"|\bimage\s*:|\bimages?\s+credits?\b|\bcredits?\s*:|\bpicture\s*:|\bquelle\s*:|\bsource\s*:"
    r"|\bcrédits?\s*:|\bcrédito\s*:|\bfonte\s*:|\bfoto\b|\bphoto\b|\bcopyright\b|©|\(c\)\s"
    r"|\bbildquelle\b|\bsymbolbild\b|\barchivbild\b|\bfile photo\b|\bhandout\b|/\s*[^\W\d_]{2,}\b)",
)
_CREDIT_TOKENS = frozenset(
    (
        "getty", "reuters", "afp", "dpa", "epa", "imago", "shutterstock", "istock", "istockphoto",
        "keystone", "apa", "alamy", "anp", "ansa", "efe", "xinhua", "sipa", "belga", "ritzau",
        "ntb", "foto", "photo", "copyright", "bildquelle", "symbolbild", "archivbild", "handout",
    )
)  # fmt: skip
_CREDIT_HINT = re.compile(r"[:©/(]|photo|picture|image|\bpa\s")
# Captions: a leading marker, or an embedded credit in parentheses or after a dash/slash.
_CAPTION_START = re.compile(
    r"^(?:file(?:\s+photo)?\s*[-–—:]|file\s*photo|photo\s*:|photos\s*:|image\s*:|picture\s*:"
    r"|foto\s*:|fotos\s*:|bild\s*:|archivbild\s*:?|archivfoto\s*:?|symbolbild\s*:?|illustration\s*:"
    r"|archives?\s*[-–—:]|archivo\s*[-–—:]|photo d'archives"
    r"|\((?:symbolbild|archivbild|archiv|foto|bild|photo|file|illustration|image)\))",
)
_CAPTION_CREDIT = re.compile(
    r"(?:\((?:ap|afp|reuters|getty|epa|dpa|photo|picture|foto|bild|image|credit|pa|anp|efe|ansa)"
    r"[^)]{0,80}\)\s*\.?$|\b(?:photograph|photo|foto|picture|bild|image|credit)s?\s*:\s*[^.]{2,80}$"
    r"|\b(?:reuters|afp|getty images|ap photo|dpa|epa|imago|keystone|apa)(?:/[^\s]{1,40})?\s*$"
    r"|(?:\s[-–—|/]\s*|\s)(?:©|copyright)\s*[^.]{1,80}$|\([^()]{2,60}/[^()]{2,40}\)\s*\.?$)",
)

# Bylines: an explicit "By"-word in the languages we know, then names.
_BYLINE = re.compile(
    r"^(?:by|written by|reporting by|words by|von|text(?:e)?\s*:|autor(?:in|ka)?\s*:|author\s*:"
    r"|par|por|di|door|av|af|przez|yazan\s*:|oleh|автор\s*:)\s*:?\s+(?P<names>\S.*)$",
    re.IGNORECASE,
)
_NAME_PARTICLES = frozenset(
    [
        "van",
        "von",
        "der",
        "den",
        "de",
        "da",
        "das",
        "do",
        "dos",
        "del",
        "della",
        "di",
        "du",
        "la",
        "le",
        "ter",
        "ten",
        "bin",
        "al",
        "el",
        "ibn",
        "mc",
        "st",
        "y",
        "e",
    ]
)
_ROLE_WORDS = re.compile(
    r"\b(?:reporter|correspondent|editor|journalist|writer|contributor|columnist|staff|team|desk"
    r"|redakteur(?:in)?|korrespondent(?:in)?|redaktion|autor(?:in)?|journaliste|rédaction"
    r"|envoyée?\s+spéciale?|corresponsal|redacción|redazione|inviat[oa]|news|agencies|agency)\b",
    re.IGNORECASE,
)
_NAME_SPLIT = re.compile(
    r"\s*(?:,|;|&|\band\b|\bund\b|\bet\b|\by\b|\be\b|\bog\b|\boch\b|\ben\b|\bi\b|\boraz\b|\bwith\b)\s*",
    re.IGNORECASE,
)
_BYLINE_CUT = re.compile(
    r"\s+(?:[-–—|•·/]\s|(?i:\bfor\b|\bpublished\b|\bupdated\b|\bposted\b|\bveröffentlicht\b"
    r"|\baktualisiert\b|\bpublié\b|\bpublicado\b|\bpubblicato\b|\bfollow\b)"
    r"|\bin\s+[A-Z][a-z]+\s*$)|\s*\d",
)
# A capital glued to the end of a name ("Ulrich ExnerKorrespondent", "Lesotho TimesNovember").
_GLUED_TAIL = re.compile(r"(?<=[a-zà-ÿ]{2})(?=[A-ZÀ-Þ][a-zà-ÿ])")

_DATE_LABELS_PUBLISHED = (
    r"published(?:\s+on)?|posted(?:\s+on)?|first\s+published|date\s+published|publication"
    r"|veröffentlicht(?:\s+am)?|erschienen(?:\s+am)?|erstellt(?:\s+am)?|stand|datum|publié(?:\s+le)?"
    r"|mis\s+en\s+ligne(?:\s+le)?|publicado(?:\s+el|\s+em)?|fecha|pubblicato(?:\s+il)?"
    r"|gepubliceerd(?:\s+op)?|publicerad|publiceret|publisert|opublikowano|publikacja|data\s+publikacji"
    r"|zveřejněno|publikováno|yayınlanma(?:\s+tarihi)?|yayın\s+tarihi|diterbitkan|dipublikasikan"
    r"|terbit|opublikowany|опубликовано|дата\s+публикации|опубліковано|發布|发布|公開|掲載|입력|등록|게재"
    r"|date"
)
_DATE_LABELS_UPDATED = (
    r"updated(?:\s+on)?|last\s+updated|modified|aktualisiert(?:\s+am)?|zuletzt\s+aktualisiert"
    r"|geändert(?:\s+am)?|mis\s+à\s+jour(?:\s+le)?|modifié(?:\s+le)?|actualizado(?:\s+el)?"
    r"|atualizado(?:\s+em)?|aggiornato(?:\s+il)?|bijgewerkt(?:\s+op)?|uppdaterad|opdateret|oppdatert"
    r"|aktualizacja|zaktualizowano|aktualizováno|güncelleme|güncellenme|diperbarui|обновлено"
    r"|оновлено|更新|수정"
)
_DATE_LABEL = re.compile(
    rf"(?P<label>\b(?:{_DATE_LABELS_PUBLISHED})\b|\b(?:{_DATE_LABELS_UPDATED})\b)\s*:?",
    re.IGNORECASE,
)
_UPDATED_LABEL = re.compile(rf"^(?:{_DATE_LABELS_UPDATED})", re.IGNORECASE)

# Month names by number; a line starting with "  " continues the previous month.
_MONTH_NAMES = """
1: january jänner januar janvier enero gennaio janeiro januari styczeń stycznia leden ledna
  ocak január janúar sausio январь января січень січня 1월
2: february februar février febrero febbraio fevereiro februari luty lutego únor února şubat
  február febrúar vasario февраль февраля лютий лютого
3: march märz mars marzo março maart marts marzec marca březen března mart maret március
  kovo март марта березень березня
4: april avril abril aprile kwiecień kwietnia duben dubna nisan április apríl balandžio
  апрель апреля квітень квітня
5: may mai mayo maggio maio mei maj maja květen května mayıs május maí gegužės май мая
  травень травня
6: june juni juin junio giugno junho czerwiec czerwca červen června haziran június júní
  birželio июнь июня червень червня
7: july juli juillet julio luglio julho lipiec lipca červenec července temmuz július júlí
  liepos июль июля липень липня
8: august août agosto augustus augusti sierpień sierpnia srpen srpna ağustos agustus
  augusztus ágúst rugpjūčio август августа серпень серпня
9: september septembre septiembre settembre setembro wrzesień września září eylül szeptember
  rugsėjo сентябрь сентября вересень вересня
10: october oktober octobre octubre ottobre outubro październik października říjen října
  ekim október spalio октябрь октября жовтень жовтня
11: november novembre noviembre novembro listopad listopada listopadu kasım nóvember
  lapkričio ноябрь ноября листопад листопада
12: december dezember décembre diciembre dicembre dezembro desember grudzień grudnia
  prosinec prosince aralık gruodžio декабрь декабря грудень грудня
"""


def _month_table() -> dict[str, int]:
    """Full month names, plus 3- and 4-letter abbreviations that are unambiguous."""
    table: dict[str, int] = {}
    prefixes: dict[str, set[int]] = {}
    month = 0
    for row in _MONTH_NAMES.strip("\n").splitlines():
        head, _, rest = row.partition(":") if not row.startswith(" ") else ("", "", row)
        month = int(head) if head else month
        for name in rest.split():
            folded = _fold(name)
            table[name] = month
            table[folded] = month
            for size in (3, 4):
                if len(folded) > size:
                    prefixes.setdefault(folded[:size], set()).add(month)
    for prefix, months in prefixes.items():
        if len(months) == 1 and prefix not in table:
            table[prefix] = next(iter(months))
    table["sept"] = 9
    return table


def _fold(text: str) -> str:
    """Casefold and strip accents (``März`` -> ``marz``)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_STOPWORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "en": "the of and to a in is that for it was on with he as be by at are this have from "
        "his an they not but had has which were or her she their been would its who will there "
        "when more than after also into said about one all we you can after over",
        "de": "der die das und in zu den von mit sich des auf für ist im dem nicht ein eine als "
        "auch es an werden aus er hat dass sie nach wird bei einer um am sind noch wie einem über "
        "so zum war haben nur oder aber vor zur bis mehr durch man",
        "fr": "le la les de des du et en un une est que qui dans pour pas sur au par plus il elle "
        "ce se sont ont a aux avec son sa ses mais ou été leur cette comme nous vous ils",
        "es": "el la los las de del y en un una que es por con para se no su al lo como más pero "
        "sus le ha fue este esta entre cuando muy sin sobre también ya han ser son",
        "it": "il la le lo gli i di del della dei delle e è in un una che per con non si da al "
        "alla come ma più ha sono anche nel nella questo sua suo stato",
        "pt": "o a os as de do da dos das e em um uma que é para com não se por no na mais como "
        "mas foi ao à seu sua ou ser são também pelo pela",
        "nl": "de het een en van in is dat op te zijn voor met niet aan er die ook als bij door "
        "maar om dan nog wel naar uit heeft worden werd",
        "sv": "och i att det som en på är av för med till den har de inte om ett var men från "
        "han hon så kan vid sig efter också",
        "da": "og i at det som en på er af for med til den har de ikke om et var men fra han hun "
        "så kan ved sig efter også blev",
        "no": "og i at det som en på er av for med til den har de ikke om et var men fra han hun "
        "så kan ved seg etter også ble",
        "pl": "i w na z do się nie że to jest o jak ale po od za przez jego tym co są który "
        "także oraz dla przy tak już",
        "cs": "a v se na je že s z do o to i k jako by ale pro po jsou byl jeho které který "
        "také podle při tak už",
        "tr": "ve bir bu da de için ile olarak çok daha gibi en ama olan sonra kadar ise her "
        "değil ancak",
        "id": "yang dan di ini itu dengan untuk dari dalam pada tidak akan juga ke adalah ada "
        "oleh karena sebagai telah bahwa",
        "ru": "и в не на что с по как из за к у о от это но для его а же то все она так был "
        "также после",
        "uk": "і в не на що з по як із за до у про від це але для його а же то все вона так "
        "був також після",
        "is": "og að í á sem er við til það með um en var af hann fyrir eru hún ekki",
        "lt": "ir kad į su o iš bet jis ji yra buvo už apie tai kaip jo dėl",
        "vi": "và của là có các được trong cho không những một với này đã người khi",
        "sw": "na ya wa kwa katika ni za la kuwa hiyo huo hilo pia",
        "zu": "ukuthi futhi kodwa ngoba uma kanye noma kakhulu",
    }.items()
}
_ALL_STOPWORDS: frozenset[str] = frozenset().union(*_STOPWORDS.values())

# --------------------------------------------------------------------------- line features

_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_TERMINAL = re.compile(r"[.!?…。！？।]['\"”’»)\]」』]*\s*$|[.!?…。！？]\s*\(?[^()]{0,3}\)?$")
_DIGIT = re.compile(r"\d")
_YEARISH = re.compile(r"(?:19|20)\d\d")
_KEY_DROP = re.compile(r"[^\w\s]|\d|_", re.UNICODE)
_SPACES = re.compile(r"\s+")
_URLISH = re.compile(r"https?://|www\.|\.(?:com|org|net|de|fr|co\.uk)\b")


@dataclass(slots=True)
class _Line:
    """One line of the scrape and the features the classifier reads."""

    text: str
    low: str  # casefolded text: the lexicon regexes run on it without IGNORECASE (4x faster)
    words: float
    terminal: bool
    key: str
    stop_ratio: float
    chrome: bool = False
    credit: bool = False
    caption: bool = False
    ui: bool = False
    prose: bool = False
    capitalised: float = 0.0  # share of words starting with a capital (menus are Title Case)
    digits: bool = False


def _effective_words(text: str, words: list[str]) -> tuple[float, list[str]]:
    """Word count that also works for CJK (about two characters per word)."""
    cjk = 0 if text.isascii() else len(_CJK.findall(text))
    if cjk:
        latin = [w for w in words if not _CJK.search(w)]
        return len(latin) + cjk / 2.0, latin
    return float(len(words)), words


def _key(text: str) -> str:
    """Lexicon key: casefolded, letters only, single spaces."""
    key = _SPACES.sub(" ", _KEY_DROP.sub(" ", text.casefold())).strip()
    return key.replace("e mail", "email")


_CHROME_KEYS = frozenset(_key(p) for p in _CHROME_PHRASES.split("|") if p.strip())
_CHROME_TOKENS = frozenset(
    k
    for k in _CHROME_KEYS
    if " " not in k and k not in {"more", "mehr", "news", "video", "live", "home", "meer", "mer"}
) | frozenset(
    (
        "pocket", "druckansicht", "vorlesen", "speichern", "merken", "kommentieren", "teilen",
        "drucken", "whatsapp", "xing", "messenger", "copy", "link", "kopieren", "tweet", "tweeten",
        "email", "mail", "print", "save", "share", "comments",
    )
)  # fmt: skip
_TRAILING_KEYS = frozenset(_key(p) for p in _TRAILING_PHRASES.split("|") if p.strip())


def _is_chrome(line: _Line) -> bool:
    """Short UI strings: lexicon hit, a share bar, or a bare URL or counter."""
    if line.words > 12:
        return False
    text = line.text.strip()
    low = line.low.strip()
    tokens = line.key.split()
    return bool(
        line.key in _CHROME_KEYS
        or not line.key  # no letters at all: counters, arrows, bullets
        or _SHARE_BAR.match(low)
        or _SHARE_BAR.match(line.key)
        or (_CHROME_PREFIX.match(low) and line.words <= 8)
        or _BREADCRUMB.match(low)
        or (len(text) <= 24 and _CJK_CHROME.search(text))
        or (_LEGAL_HINT.search(low) and _LEGAL.search(low))
        or (2 <= len(tokens) <= 8 and sum(t in _CHROME_TOKENS for t in tokens) >= 0.6 * len(tokens))
        or _glued_chrome(text)
        or (_URLISH.search(low) and line.words <= 4)
    )


def _glued_chrome(text: str) -> bool:
    """Several chrome strings glued together by inline markup ("Share Save", "Sign InRegister")."""
    parts = [p for p in re.split(r"(?<=[a-zäöüé])(?=[A-ZÄÖÜ])", text) if p.strip()]
    return len(parts) > 1 and all(_key(p) in _CHROME_KEYS for p in parts)


def _is_share_text(line: _Line) -> bool:
    """Long lines that are still only chrome: legal notices, runs of share buttons."""
    if line.words > 60:
        return False
    if _LEGAL_HINT.search(line.low) and _LEGAL.search(line.low):
        return True
    tokens = _WORD.findall(line.low)
    return sum(t in _CHROME_TOKENS for t in tokens) >= 0.5 * len(tokens)


def _is_credit(line: _Line) -> bool:
    """A photo credit on its own line ("Getty Images", "Foto: dpa", "© Reuters")."""
    if line.words > 9 or (line.terminal and line.words > 4):
        return False
    # Python's regex engine tries every alternative at every position: a set lookup of
    # the words first keeps this cheap on the thousands of short lines of a page.
    if _CREDIT_TOKENS.intersection(_WORD.findall(line.low)):
        return True
    return bool(_CREDIT_HINT.search(line.low)) and bool(_CREDIT_WORDS.search(line.low))


def _is_caption(line: _Line) -> bool:
    """A photo caption recognised by its marker or embedded credit."""
    text = line.text.strip()
    if _CAPTION_START.match(line.low.strip()):
        return True
    if _CJK.search(text) and re.search(r"＝[^＝。]{1,25}$", text):
        return True  # Japanese captions end in "＝place, date" or "＝agency"
    return line.words <= 70 and bool(_CAPTION_CREDIT.search(line.low.rstrip()[-160:]))


def _features(text: str) -> _Line:
    low = text.casefold()
    originals = _WORD.findall(text)
    words, tokens = _effective_words(text, [w.casefold() for w in originals])
    capitalised = (
        sum(1 for w in originals if w[:1].isupper()) / len(originals) if originals else 0.0
    )
    stop = 0.0
    if tokens:
        stop = sum(1 for t in tokens if t in _ALL_STOPWORDS) / len(tokens)
    line = _Line(
        text=text,
        low=low,
        words=words,
        terminal=bool(_TERMINAL.search(text[-12:])),
        key=_key(text) if words <= 14 else "",
        stop_ratio=stop,
        digits=bool(_DIGIT.search(text)),
        capitalised=capitalised,
    )
    line.credit = line.key not in _CHROME_KEYS and _is_credit(line)
    line.chrome = not line.credit and (_is_chrome(line) if words <= 12 else _is_share_text(line))
    line.caption = not line.chrome and not line.credit and _is_caption(line)
    line.ui = not line.chrome and 5 <= line.words <= 60 and _is_ui_text(line)
    return line


def _line_features(texts: list[str]) -> list[_Line]:
    """Features of every line; repeated lines (menus, share bars) share one record.

    Sharing is safe because every feature, including the ones set later, is a
    function of the text alone.
    """
    memo: dict[str, _Line] = {}
    return [memo[t] if t in memo else memo.setdefault(t, _features(t)) for t in texts]


def _is_ui_text(line: _Line) -> bool:
    """Sentences addressed to the reader about the site: log in, subscribe, cookies, ads."""
    hits = len(_UI_TERMS.findall(line.low))
    return hits >= 2 or (hits == 1 and line.words <= 25)


# --------------------------------------------------------------------------- segmentation

# Runs of Latin spacing collapse to one space; the ideographic space (U+3000) stays, as it
# separates phrases in CJK headlines.
_INLINE_SPACE = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f]+")
_BLANK_SPLIT = re.compile(r"\n[ \t\u00a0]*\n")
# Control characters and invisible format characters (soft hyphens, zero-width marks).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u00ad\u200b\u200e\u200f\u2060\ufeff]")


def _split_lines(text: str) -> list[str]:
    """Non-empty lines; hard-wrapped paragraphs are joined back into one line."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    groups = [g.split("\n") for g in _BLANK_SPLIT.split(text)]
    wrapped = _looks_hard_wrapped(groups)
    lines: list[str] = []
    for group in groups:
        stripped = [_INLINE_SPACE.sub(" ", ln).strip() for ln in group]
        stripped = [ln for ln in stripped if ln]
        for ln in _unwrap(stripped) if wrapped and len(stripped) > 1 else stripped:
            if lines and ln[:1] in ":：" and not _TERMINAL.search(lines[-1]):
                lines[-1] = f"{lines[-1]}{ln}"  # "Kicker" + ": headline" split by inline markup
            else:
                lines.append(ln)
    return lines


def _looks_hard_wrapped(groups: Sequence[Sequence[str]]) -> bool:
    """True when paragraphs were wrapped at a fixed width (mail, terminal copies)."""
    inner = [len(ln) for g in groups if len(g) > 2 for ln in g[:-1] if ln.strip()]
    if len(inner) < 6:
        return False
    longest = max(len(ln) for g in groups for ln in g)
    width = max(inner)
    if longest > 200 or width < 40:
        return False
    near_width = sum(1 for n in inner if n >= 0.75 * width)
    return near_width / len(inner) >= 0.6


def _unwrap(lines: list[str]) -> list[str]:
    """Join wrapped lines of one paragraph; keep list items on their own lines."""
    out: list[str] = []
    width = max(len(ln) for ln in lines)
    for ln in lines:
        if out and len(out[-1]) >= 0.6 * width and not re.match(r"^[-*•–\d]+[.)]?\s", ln):
            out[-1] = f"{out[-1]} {ln}"
        else:
            out.append(ln)
    return out


# --------------------------------------------------------------------------- language


def _detect_language(lines: Iterable[_Line]) -> str | None:
    """Script first (CJK, Cyrillic, ...), then the stopword list with most hits."""
    sample = " ".join(ln.text for ln in lines)[:20000]
    if not sample.strip():
        return None
    script = _script_language(sample)
    if script:
        return script
    tokens = [t.casefold() for t in _WORD.findall(sample)]
    if len(tokens) < 20:
        return None
    counts = {lang: sum(1 for t in tokens if t in words) for lang, words in _STOPWORDS.items()}
    ranked = sorted(counts.items(), key=lambda kv: kv[1], reverse=True)
    best, hits = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    if hits < 5 or hits / len(tokens) < 0.08 or hits < 1.2 * runner_up:
        return None
    return best


_SCRIPT_LANGUAGES = {
    "han": "zh",
    "kana": "ja",
    "hangul": "ko",
    "greek": "el",
    "hebrew": "he",
    "arabic": "ar",
    "devanagari": "hi",
    "thai": "th",
}


def _script_language(sample: str) -> str | None:
    counts = Counter(_script(ch) for ch in sample if ch.isalpha())
    total = sum(counts.values())
    if not total:
        return None
    script, n = counts.most_common(1)[0]
    if counts["kana"] > 0.05 * total:
        return "ja"  # Japanese mixes kana into Han text; Chinese never does
    if counts["hangul"] > 0.3 * total:
        return "ko"
    if script == "latin" or n / total < 0.3:
        return None
    if script == "cyrillic":
        return "uk" if re.search(r"[іїєґ]", sample) else "ru"
    return _SCRIPT_LANGUAGES.get(script)


def _script(ch: str) -> str:
    code = ord(ch)
    if code < 0x250:
        return "latin"
    ranges = (
        (0x370, 0x400, "greek"),
        (0x400, 0x530, "cyrillic"),
        (0x590, 0x600, "hebrew"),
        (0x600, 0x700, "arabic"),
        (0x900, 0x980, "devanagari"),
        (0xE00, 0xE80, "thai"),
        (0x1E00, 0x1F00, "latin"),
        (0x3040, 0x3100, "kana"),
        (0x3400, 0xA000, "han"),
        (0xAC00, 0xD7B0, "hangul"),
        (0xF900, 0xFB00, "han"),
    )
    for low, high, name in ranges:
        if low <= code < high:
            return name
    return "other"


# --------------------------------------------------------------------------- body region

_PROSE_MIN_WORDS = 7.0
_MIN_STOP_RATIO = 0.12


def _title_question(ln: _Line) -> bool:
    """A short single question or exclamation: shaped like a headline, not a paragraph."""
    text = ln.text.rstrip(" \"'”’»)")
    return text.endswith(("?", "!")) and ln.words <= 16 and _sentences(text) <= 1


def _stopword_floor(lines: Sequence[_Line]) -> float:
    """Stopword share a prose line needs, scaled down for languages that use few of them.

    Agglutinative languages (Turkish, Finnish, Hungarian) glue function words
    onto nouns, so their sentences carry far fewer separate stopwords; the
    floor follows the document's own long sentences.
    """
    ratios = sorted(ln.stop_ratio for ln in lines if ln.words >= 12 and ln.terminal)
    if len(ratios) < 3:
        return _MIN_STOP_RATIO
    return min(_MIN_STOP_RATIO, 0.4 * ratios[len(ratios) // 2])


def _mark_prose(lines: list[_Line], *, use_stopwords: bool) -> None:
    """Prose: long enough, sentence-final punctuation, function words, not chrome."""
    min_ratio = _stopword_floor(lines)
    for ln in lines:
        if ln.chrome or ln.credit or ln.caption or ln.ui:
            continue
        long_enough = ln.words >= _PROSE_MIN_WORDS
        sentence = (ln.terminal and not _title_question(ln)) or ln.words >= 30
        wordy = not use_stopwords or ln.stop_ratio >= min_ratio or _CJK.search(ln.text)
        # Title Case runs ("Travel Adventures Azerbaijan Diary ...") are menus, not sentences;
        # German capitalises nouns, yet its prose stays well below this share.
        titlecase = ln.words >= 8 and ln.capitalised > 0.7
        ln.prose = long_enough and sentence and bool(wordy) and not titlecase


def _mark_repeated_chrome(lines: list[_Line]) -> None:
    """Short lines repeated three times or more are page furniture ("Article content")."""
    counts = Counter(ln.key for ln in lines if ln.key and ln.words <= 6)
    for ln in lines:
        if ln.key and ln.words <= 6 and counts[ln.key] >= 3:
            ln.chrome = True


def _line_value(doc: _Doc, i: int) -> float:
    """Contribution of a line to the body score: prose for, everything else against.

    Prose cut off on both sides by non-prose (teasers in a list of related
    stories) counts half; bylines, datelines and relative times count hard
    against, because outside the article header they mark teaser lists.
    """
    ln = doc.lines[i]
    if ln.prose:
        value = min(ln.words, 120.0)
        return value if _has_prose_neighbour(doc.lines, i) else value / 2
    if ln.chrome or ln.ui:
        return -4.0
    if ln.caption or ln.credit:
        return -2.0
    if ln.words <= 16 and (ln.digits or ln.words <= 4) and doc.headerish(i):
        return -5.0
    if ln.terminal and ln.words >= 3:
        return -0.5
    return -2.5


def _has_prose_neighbour(lines: Sequence[_Line], i: int) -> bool:
    """Whether the nearest non-chrome line before or after ``i`` is prose."""
    for step in (-1, 1):
        j = i + step
        while 0 <= j < len(lines) and _transparent(lines[j]):
            j += step
        if 0 <= j < len(lines) and lines[j].prose:
            return True
    return False


def _transparent(ln: _Line) -> bool:
    """Lines that interrupt a body without ending it: adverts, share bars, pictures."""
    return ln.chrome or ln.ui or ln.caption or ln.credit


def _best_segment(doc: _Doc) -> tuple[int, int] | None:
    """Maximum-sum run of lines (Kadane); ``None`` when there is no prose at all."""
    best_sum = 0.0
    best: tuple[int, int] | None = None
    run_sum = 0.0
    run_start = 0
    for i in range(len(doc.lines)):
        value = _line_value(doc, i)
        if run_sum <= 0:
            run_sum = value
            run_start = i
        else:
            run_sum += value
        if run_sum > best_sum:
            best_sum = run_sum
            best = (run_start, i)
    return best


# --------------------------------------------------------------------------- dates

_TIME = (
    r"(?:\s*(?:,|um|à|a\s+las|alle|at|kl\.?|klo|o|godz\.?|saat|-|–|—|\|)?\s*"
    r"(?P<hour>[01]?\d|2[0-3])[:.h](?P<minute>[0-5]\d)(?::(?P<second>[0-5]\d))?"
    r"\s*(?P<ampm>[ap]\.?\s?m\.?)?)?"
)
_TZ = (
    r"(?:\s*(?P<tz>Z|UTC|GMT|[+-]\d{2}:?\d{2}|(?:UTC|GMT)\s?[+-]\d{1,2}(?::?\d{2})?"
    r"|BST|CET|CEST|MEZ|MESZ|EST|EDT|CST|CDT|MST|MDT|PST|PDT|IST|JST|KST|AEST|AEDT))?"
)
_ISO_DATE = re.compile(
    r"(?<!\d)(?P<year>(?:19|20)\d{2})-(?P<month>0?[1-9]|1[0-2])-(?P<day>3[01]|[12]\d|0?[1-9])(?!\d)"
    r"(?:[T\s]+(?P<hour>[01]\d|2[0-3]):(?P<minute>[0-5]\d)(?::(?P<second>[0-5]\d)(?:\.\d+)?)?"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2})?)?",
)
_NUMERIC_DATE = re.compile(
    r"(?<![\d.])(?P<a>\d{1,2})(?P<sep>[./])\s?(?P<b>\d{1,2})(?P=sep)\s?(?P<year>(?:19|20)\d{2})(?!\d)"
    + _TIME
    + _TZ,
)
_YMD_DATE = re.compile(
    r"(?<!\d)(?P<year>(?:19|20)\d{2})\s?(?:[./]|年|년)\s?(?P<month>0?[1-9]|1[0-2])\s?(?:[./]|月|월)"
    r"\s?(?P<day>3[01]|[12]\d|0?[1-9])(?:日|일)?(?!\d)"
    r"(?:\s*(?:\([^)]{1,3}\))?\s*(?P<hour>[01]?\d|2[0-3])(?:[:時시]\s?)(?P<minute>[0-5]\d))?",
)
_MONTH_WORD = r"(?P<mname>[^\W\d_]{3,12})\.?"
_DAY = r"(?P<day>3[01]|[12]\d|0?[1-9])(?!\d)"
_YEAR = r"(?P<year>(?:19|20)\d{2})(?=\D|\d{1,2}[:.]\d{2}|$)"
_DMY_WORDS = re.compile(
    rf"(?<!\d){_DAY}(?:\.|º|er|st|nd|rd|th)?\s*(?:de\s+)?{_MONTH_WORD},?\s*(?:de\s+)?{_YEAR}"
    + _TIME
    + _TZ,
    re.IGNORECASE,
)
_MDY_WORDS = re.compile(
    rf"{_MONTH_WORD}\s+{_DAY}(?:st|nd|rd|th)?,?\s*{_YEAR}" + _TIME + _TZ,
    re.IGNORECASE,
)
_TZ_OFFSETS = {
    "Z": 0,
    "UTC": 0,
    "GMT": 0,
    "BST": 60,
    "CET": 60,
    "MEZ": 60,
    "CEST": 120,
    "MESZ": 120,
    "EST": -300,
    "EDT": -240,
    "CST": -360,
    "CDT": -300,
    "MST": -420,
    "MDT": -360,
    "PST": -480,
    "PDT": -420,
    "JST": 540,
    "KST": 540,
    "AEST": 600,
    "AEDT": 660,
}
_MONTHS_TABLE: dict[str, int] = {}


@dataclass(frozen=True, slots=True)
class _DateHit:
    """A date found in a line, with whether it was labelled and how."""

    value: datetime
    labelled: bool
    updated: bool
    start: int
    end: int


def _months() -> dict[str, int]:
    if not _MONTHS_TABLE:
        _MONTHS_TABLE.update(_month_table())
    return _MONTHS_TABLE


def _tzinfo(raw: str | None) -> timezone | None:
    if not raw:
        return None
    raw = raw.strip().upper()
    if raw in _TZ_OFFSETS:
        return timezone(timedelta(minutes=_TZ_OFFSETS[raw]))
    match = re.match(r"^(?:UTC|GMT)?\s?([+-])(\d{1,2}):?(\d{2})?$", raw)
    if not match:
        return None
    minutes = int(match.group(2)) * 60 + int(match.group(3) or 0)
    if minutes > 14 * 60:
        return None
    return timezone(timedelta(minutes=minutes if match.group(1) == "+" else -minutes))


def _build(
    year: int, month: int, day: int, match: re.Match[str], *, with_time: bool = True
) -> datetime | None:
    groups = match.groupdict()
    hour = minute = second = 0
    if with_time and groups.get("hour") is not None and groups.get("minute") is not None:
        hour, minute = int(groups["hour"]), int(groups["minute"])
        second = int(groups.get("second") or 0)
        ampm = (groups.get("ampm") or "").replace(".", "").replace(" ", "").lower()
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=_tzinfo(groups.get("tz")))
    except ValueError:
        return None


def _dates_in(text: str, *, language: str | None) -> list[tuple[int, int, datetime]]:
    """Every unambiguous absolute date in a line, with its span."""
    found: list[tuple[int, int, datetime]] = []
    taken: list[tuple[int, int]] = []

    def add(match: re.Match[str], value: datetime | None) -> None:
        span = match.span()
        if value is None or any(span[0] < e and s < span[1] for s, e in taken):
            return
        taken.append(span)
        found.append((span[0], span[1], value))

    for m in _ISO_DATE.finditer(text):
        add(m, _build(int(m["year"]), int(m["month"]), int(m["day"]), m))
    for m in _YMD_DATE.finditer(text):
        add(m, _build(int(m["year"]), int(m["month"]), int(m["day"]), m))
    months = _months()
    for m in _MDY_WORDS.finditer(text):
        month = months.get(_fold(m["mname"]))
        if month:
            add(m, _build(int(m["year"]), month, int(m["day"]), m))
    for m in _DMY_WORDS.finditer(text):
        month = months.get(_fold(m["mname"]))
        if month:
            add(m, _build(int(m["year"]), month, int(m["day"]), m))
    for m in _NUMERIC_DATE.finditer(text):
        a, b = int(m["a"]), int(m["b"])
        day_month = _order_numeric(a, b, sep=m["sep"], language=language)
        if day_month:
            add(m, _build(int(m["year"]), day_month[1], day_month[0], m))
    found.sort()
    return [(start, end, _time_before(text, start, value)) for start, end, value in found]


_TIME_BEFORE = re.compile(
    r"(?P<hour>[01]?\d|2[0-3])[:.h](?P<minute>[0-5]\d)\s*(?P<ampm>[ap]\.?\s?m\.?)?"
    + _TZ
    + r"[\s,|•·–-]*$",
    re.IGNORECASE,
)


def _time_before(text: str, start: int, value: datetime) -> datetime:
    """Take a clock time written before the date ("15:56 BST, 27 April 2024")."""
    if value.hour or value.minute or value.tzinfo:
        return value
    match = _TIME_BEFORE.search(text[max(0, start - 30) : start])
    if not match:
        return value
    with_time = _build(value.year, value.month, value.day, match)
    return with_time or value


def _order_numeric(a: int, b: int, *, sep: str, language: str | None) -> tuple[int, int] | None:
    """(day, month) of ``a/b/yyyy``; ``None`` when the order cannot be known."""
    if sep == ".":
        return (a, b) if 1 <= b <= 12 else None  # dotted dates are day-first everywhere
    if a > 12 >= b >= 1:
        return (a, b)
    if b > 12 >= a >= 1:
        return (b, a)
    if a == b and 1 <= a <= 12:
        return (a, b)
    if language in {None, "en"}:
        return None  # 03/04/2024: US or British order, unknowable from the text
    return (a, b) if 1 <= b <= 12 else None


def _date_hits(text: str, *, language: str | None) -> list[_DateHit]:
    """Dates in a dateline, each tagged with the nearest preceding label."""
    dates = _dates_in(text, language=language)
    if not dates:
        return []  # relative dates ("2 hours ago", "vor 3 Stunden") never get here
    hits: list[_DateHit] = []
    labels = [(m.start(), m.end(), m["label"]) for m in _DATE_LABEL.finditer(text)]
    for start, end, value in dates:
        label = None
        for l_start, l_end, name in labels:
            if l_end <= start and start - l_end <= 12:
                label = name
            elif l_start >= start:
                break
        hits.append(
            _DateHit(
                value=value,
                labelled=label is not None,
                updated=bool(label and _UPDATED_LABEL.match(label.strip())),
                start=start,
                end=end,
            )
        )
    return hits


def _residual_words(text: str, hits: Sequence[_DateHit]) -> int:
    """Words left on a dateline once dates, labels and filler are removed."""
    rest = text
    for hit in sorted(hits, key=lambda h: h.start, reverse=True):
        rest = rest[: hit.start] + " " + rest[hit.end :]
    rest = _CJK_DATE_CHARS.sub(" ", _DATE_LABEL.sub(" ", rest))
    words = [
        w
        for w in _WORD.findall(rest)
        if w.casefold()
        not in {
            "uhr",
            "am",
            "pm",
            "um",
            "le",
            "el",
            "il",
            "on",
            "at",
            "de",
            "à",
            "a",
            "min",
            "read",
        }
    ]
    return len(words)


_WEEKDAY = re.compile(
    r"\b(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\b|\b(?:montag|dienstag|mittwoch|donnerstag|freitag"
    r"|samstag|sonntag|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|lunes|martes|miércoles"
    r"|jueves|viernes|sábado|domingo|lunedì|martedì|mercoledì|giovedì|venerdì|sabato|domenica)\b",
    re.IGNORECASE,
)


def _is_dateline(ln: _Line, *, language: str | None) -> tuple[bool, list[_DateHit]]:
    """A line that is essentially a date (possibly labelled), and its dates."""
    if ln.words > 25 or ln.caption:
        return False, []
    hits = _date_hits(ln.text, language=language)
    if not hits:
        return False, []
    residual = _residual_words(_WEEKDAY.sub(" ", ln.text), hits)
    labelled = any(h.labelled for h in hits)
    return residual <= (6 if labelled else 3), hits


# --------------------------------------------------------------------------- bylines


def _byline_authors(text: str) -> tuple[str, ...] | None:
    """Names from an explicit byline ("By A and B", "Von A"), or ``None``."""
    match = _BYLINE.match(text.strip())
    if not match:
        return None
    names_part = _BYLINE_CUT.split(match["names"], maxsplit=1)[0]
    names_part = re.sub(r"(?<=[a-z])(?:Twitter|Facebook|Email|X)$", "", names_part).strip(" ,.:")
    names: list[str] = []
    for raw in _NAME_SPLIT.split(names_part):
        name = _ROLE_WORDS.split(raw, maxsplit=1)[0]
        name = _GLUED_TAIL.split(name, maxsplit=1)[0] if not name.startswith("Mac") else name
        name = _without_date_words(name).strip(" ,.:-")
        if not name:
            continue
        if not _looks_like_name(name):
            return None
        names.append(name)
    return tuple(dict.fromkeys(names)) or None


_WEEKDAY_NAMES = frozenset(
    (
        "mon", "monday", "tue", "tues", "tuesday", "wed", "wednesday", "thu", "thur", "thurs",
        "thursday", "fri", "friday", "sat", "saturday", "sun", "sunday", "montag", "dienstag",
        "mittwoch", "donnerstag", "freitag", "samstag", "sonntag", "lundi", "mardi", "mercredi",
        "jeudi", "vendredi", "samedi", "dimanche",
    )
)  # fmt: skip


def _without_date_words(name: str) -> str:
    """Cut a byline where a month or weekday starts ("Cristina Laila Apr. 28")."""
    tokens = name.split()
    for k, token in enumerate(tokens):
        word = _fold(token.strip(".,"))
        at_end = k == len(tokens) - 1 or tokens[k + 1][:1].isdigit()
        if k and at_end and (word in _months() or word in _WEEKDAY_NAMES):
            return " ".join(tokens[:k])
    return name


def _looks_like_name(name: str) -> bool:
    tokens = name.split()
    if not 1 <= len(tokens) <= 5:
        return False
    capitals = [t for t in tokens if t.casefold() not in _NAME_PARTICLES]
    return bool(capitals) and all(t[:1].isupper() for t in capitals)


# --------------------------------------------------------------------------- the document


@dataclass(slots=True)
class _Doc:
    """The lines of a scrape plus cached, on-demand classifications."""

    lines: list[_Line]
    language: str | None
    _authors: dict[str, tuple[str, ...] | None]
    _datelines: dict[str, tuple[bool, list[_DateHit]]]
    _headerish: dict[str, bool]

    @classmethod
    def of(cls, lines: list[_Line], language: str | None) -> _Doc:
        return cls(lines, language, {}, {}, {})

    def authors(self, i: int) -> tuple[str, ...] | None:
        """Names if line ``i`` is an explicit byline."""
        ln = self.lines[i]
        if ln.text not in self._authors:
            self._authors[ln.text] = _byline_authors(ln.text) if ln.words <= 16 else None
        return self._authors[ln.text]

    def dateline(self, i: int) -> tuple[bool, list[_DateHit]]:
        """Whether line ``i`` is essentially a date, and the dates in it."""
        ln = self.lines[i]
        if not ln.digits or not _YEARISH.search(ln.text):
            return False, []  # every date format read here has a four-digit year
        if ln.text not in self._datelines:
            self._datelines[ln.text] = _is_dateline(ln, language=self.language)
        return self._datelines[ln.text]

    def headerish(self, i: int) -> bool:
        """Article-header furniture: byline, dateline, author names, reading or relative time."""
        text = self.lines[i].text
        if text not in self._headerish:
            self._headerish[text] = self._is_headerish(i)
        return self._headerish[text]

    def _is_headerish(self, i: int) -> bool:
        ln = self.lines[i]
        if ln.prose or ln.words > 16:
            return False
        text = ln.text
        if _CLOCK_ONLY.match(text) or _READ_TIME.search(ln.low):
            return True
        if ln.words <= 6 and _RELATIVE_TIME.search(ln.low):
            return True
        if self.authors(i):
            return True
        if ln.capitalised >= 0.5 and not ln.digits and _looks_like_name_list(text):
            return True
        return ln.digits and self.dateline(i)[0]

    def next_prose(self, i: int, end: int) -> int | None:
        for j in range(i, end + 1):
            if self.lines[j].prose:
                return j
        return None


def _looks_like_name_list(text: str) -> bool:
    """'Julia Vergin | Clare Roth', 'Radek Nohl': capitalised names and nothing else."""
    if _TERMINAL.search(text):
        return False
    parts = [p for p in re.split(r"\s*(?:[|,·•/]|\band\b|\bund\b)\s*", text) if p.strip()]
    if not parts or sum(len(p.split()) for p in parts) > 12:
        return False
    for part in parts:
        tokens = part.split()
        if not 2 <= len(tokens) <= 4 or any(t.casefold() in _ALL_STOPWORDS for t in tokens):
            return False
        if not _looks_like_name(part) or not all(_WORD.fullmatch(t) for t in tokens):
            return False
    return True


# --------------------------------------------------------------------------- headline

_SLUG_SPLIT = re.compile(r"[^a-z0-9]+")
_TITLE_MIN_WORDS = 3.0
_TITLE_MAX_WORDS = 40.0
_TITLE_MIN_SCORE = 4.0  # measured: below it, wrong headlines outnumber right ones
_HEADER_WINDOW = 30
_SENTENCE_END = re.compile(r"(\S*)[.!?。！？](?:\s|$)")


def _sentences(text: str) -> int:
    """Sentence ends, not counting abbreviations ("Rep.", "Mont.", "U.S.", "Charles III.")."""
    count = 0
    for match in _SENTENCE_END.finditer(text):
        word = match.group(1).rstrip(".")
        abbreviation = word[:1].isupper() and len(word) <= 4 and word.isalpha()
        if not abbreviation and not re.fullmatch(r"(?:[A-Z]\.)*[A-Z]|[IVX]+", word):
            count += 1
    return max(count, 1 if text.strip() else 0)


def _slug_tokens(url: str | None) -> frozenset[str]:
    """Words of the URL path's longest segment (the slug), accents folded."""
    if not url:
        return frozenset()
    try:
        path = unquote(urlsplit(url).path)
    except ValueError:
        return frozenset()
    segments = [s for s in path.split("/") if s]
    if not segments:
        return frozenset()
    slug = re.sub(r"\.[a-z0-9]{2,5}$", "", max(segments, key=len))
    tokens = {t for t in _SLUG_SPLIT.split(_fold(slug)) if len(t) > 2 and not t.isdigit()}
    return frozenset(tokens) if len(tokens) >= 2 else frozenset()


_TRANSLITERATION = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "å": "aa", "ø": "oe"})


def _title_tokens(text: str) -> set[str]:
    """Folded words of a line, with German/Nordic transliterations as URL slugs spell them."""
    plain = {t for t in _SLUG_SPLIT.split(_fold(text)) if len(t) > 2}
    spelled = _fold(text.casefold().translate(_TRANSLITERATION))
    return plain | {t for t in _SLUG_SPLIT.split(spelled) if len(t) > 2}


def _title_shaped(ln: _Line) -> bool:
    """Length and punctuation of a headline; questions and exclamations allowed."""
    text = ln.text.strip()
    if _CJK.search(text):
        sized = 5 <= len(text) <= 90
    else:
        sized = _TITLE_MIN_WORDS <= ln.words <= _TITLE_MAX_WORDS
    if (
        ln.chrome
        or ln.credit
        or ln.caption
        or ln.ui
        or not sized
        or text.endswith((":", ",", ";", "—", "–", "-"))
        or sum(ch.isdigit() for ch in text) > 0.3 * len(text.replace(" ", ""))
    ):
        return False
    if not ln.prose:
        return True
    # Prose-flagged lines qualify only as short one- or two-sentence titles ending in ?/!
    # ("Business Brief: Nvidia's into nation building. We cool with that?").
    ends = _sentences(text)
    return ln.words <= 25 and (ends <= 1 or (ends == 2 and text.endswith(("?", "!"))))


def _headline_score(ln: _Line, *, distance: float, slug: frozenset[str], repeats: int) -> float:
    """How much a title-shaped header line looks like the headline."""
    text = ln.text.strip()
    score = 3.0 if ln.words >= 4 or _CJK.search(text) else 2.0
    score += 1.5 if 5 <= ln.words <= 22 else 0.0
    score -= 2.5 if text.endswith(".") and not text.endswith("..") else 0.0
    score -= 1.0 if ln.prose and not (text.endswith(("?", "!")) and ln.words <= 16) else 0.0
    score -= 2.0 if text.isupper() and ln.words < 6 else 0.0
    score -= 1.5 if _SITE_SUFFIX.search(text) else 0.0
    score -= 2.0 if _UI_VERB.match(text) or _NOT_HEADLINE.search(text) else 0.0
    score -= 2.0 if len(_GLUED.findall(text)) >= 2 or "°" in text else 0.0
    score -= 1.5 if _only_capitalised_words(text) else 0.0
    score += 1.0 if repeats > 1 else 0.0
    score -= 0.35 * distance
    if slug:
        overlap = len(_title_tokens(text) & slug) / len(slug)
        score += 4.0 * overlap
    return score


_SITE_SUFFIX = re.compile(r"\s[|]\s*\S+(?:\s\S+){0,3}$|\s[-–—]\s\S+(?:\s\S+)?$")
# Imperatives that open UI strings ("Add as preferred on Google", "Öppna bild i helskärm").
_UI_VERB = re.compile(
    r"^(?:add|open|view|see|read|search|click|tap|copy|print|download|share|save|follow|sign|log"
    r"|subscribe|listen|watch|show|hide|close|explore|discover|get|join|register|find|support"
    r"|enjoy|try|send|next|previous|continue"
    r"|öppna|visa|läs"
    r"|dela|spara|öffnen|teilen|speichern|drucken|anhören|ouvrir|voir|lire|partager|ajouter|pour"
    r"|abrir|ver|leer|compartir|guardar|apri|vedi|leggi|condividi|salva|openen|bekijk|lees|delen"
    r"|opslaan|åpne|vis|les|lagre|åbn|læs|gem|zobacz|otwórz|udostępnij|zobrazit|sdílet)\b",
    re.IGNORECASE,
)
_CREDIT_TAIL = re.compile(
    r"(?i:\((?:courtesy|photo|foto|bild|image|credit|source|quelle|fuente|fonte)\b[^)]*\))"
    r"|\S\s?/\s?[A-Z][\w.&-]*(?:\s[A-Z][\w.&-]*){0,3}$"  # "... / Europa Press"
    r"|[.!?]\s+(?:[A-Z][\w'’-]+\s?){1,4}$"  # "... lost 130lb. Emma Roma Jayne"
    r"|(?i:\bmore\s*>)$|\([A-Z][^()]{2,40}$",
)
# Media labels and continuation marks that never open a headline.
_NOT_HEADLINE = re.compile(
    r"^(?:[…]|\.\.\.)|^(?:audio|video\w*|live|podcast|galerie|gallery|bilder\w*|fotos?|photos?"
    r"|grafik|infografik)\s*:"
    r"|\(\d+\s*(?:min|sek|sec|s)\.?\)\s*$|(?:を見る|する|について|はこちら|一覧)(?:[(（]\d+枚[)）])?$",
    re.IGNORECASE,
)
_GLUED = re.compile(r"[a-zà-ÿ][A-ZÀ-Þ]")


def _only_capitalised_words(text: str) -> bool:
    """'Birgit Baumann Anna Giulia Fink': names or menu labels rather than a sentence."""
    if not _WORD.fullmatch(text.replace(" ", "")) and not re.fullmatch(r"[\w\s'’.-]+", text):
        return False
    tokens = text.split()
    return (
        2 <= len(tokens) <= 8
        and all(t[:1].isupper() for t in tokens)
        and not any(t.casefold() in _ALL_STOPWORDS for t in tokens)
        and not text.isupper()
    )


def _pick_headline(doc: _Doc, first: int, last: int, lead: int, url: str | None) -> int | None:
    """Best title-shaped line in ``[first, last]``; ``None`` below the confidence bar."""
    slug = _slug_tokens(url)
    lines = doc.lines
    counts = Counter(ln.key or ln.text for ln in lines)
    best: tuple[float, int] | None = None
    distance = 0.0
    for i in range(last, first - 1, -1):
        ln = lines[i]
        if _title_shaped(ln) and not doc.headerish(i) and not _pictureish(doc, i):
            score = _headline_score(
                ln, distance=distance, slug=slug, repeats=counts[ln.key or ln.text]
            )
            score += _position_score(doc, i, lead)
            if i >= lead:
                score -= 1.0  # a first body line must look clearly like a title to be one
            if best is None or score > best[0]:
                best = (score, i)
        if i < lead and not _skippable(doc, i):
            distance += 1 if ln.words >= 3 else 0.3  # menu-sized lines barely separate
    if best is None or best[0] < _TITLE_MIN_SCORE + (1.0 if slug else 0.0):
        return None
    return _prefer_line_above(doc, best[1])


def _position_score(doc: _Doc, i: int, lead: int) -> float:
    """Where headlines sit: above the byline/dateline block, below menus, away from photos.

    The headline is followed (directly or after a standfirst) by bylines and
    datelines; a line with such furniture just above it is inside the header
    block rather than at its top; a line next to a photo credit is a caption.
    """
    lines = doc.lines
    score = 0.0
    after = [j for j in range(i + 1, min(lead, i + 6)) if not lines[j].chrome][:3]
    if any(doc.headerish(j) for j in after):
        score += 1.5
    if any(doc.authors(j) or doc.dateline(j)[0] for j in range(max(0, i - 3), i)):
        score -= 1.5
    if _next_to_credit(lines, i):
        score -= 1.5
    return score


def _pictureish(doc: _Doc, i: int) -> bool:
    ln = doc.lines[i]
    return bool(_CREDIT_TAIL.search(ln.text)) or _picture_caption(doc, i)


def _prefer_line_above(doc: _Doc, best: int) -> int:
    """Headline then standfirst: when the line just above is a full title too, it is the one."""
    if best == 0:
        return best
    above, chosen = doc.lines[best - 1], doc.lines[best]
    if (
        _title_shaped(above)
        and above.words >= 5
        and above.words <= chosen.words + 4
        and not above.prose
        and not doc.headerish(best - 1)
        and not _pictureish(doc, best - 1)
        and not _UI_VERB.match(above.text)
        and len(_GLUED.findall(above.text)) < 2
    ):
        return best - 1
    return best


def _skippable(doc: _Doc, i: int) -> bool:
    """Header lines that sit between headline and lead without pushing them apart."""
    ln = doc.lines[i]
    return ln.chrome or ln.credit or ln.caption or ln.ui or doc.headerish(i)


# --------------------------------------------------------------------------- lead and body


def _caption_like(ln: _Line) -> bool:
    """Short, one- or two-sentence description of a picture."""
    return ln.words <= 40 and _sentences(ln.text) <= 2


def _picture_caption(doc: _Doc, i: int) -> bool:
    """A short line describing a photo: picture words or a full calendar date (the photo's)."""
    ln = doc.lines[i]
    if _PICTURE_WORDS.search(ln.text):
        # "is seen", "in this picture": explicit enough for a longer wire caption
        return ln.words <= 60 and _sentences(ln.text) <= 3
    if not _caption_like(ln):
        return False
    return ln.digits and bool(_dates_in(ln.text, language=doc.language))


def _isolating(doc: _Doc, j: int) -> bool:
    """Header furniture that cuts a standfirst off from the lead.

    A bare list of names does not: inside articles it is an author or
    interviewee box, and alone it is weak evidence of a byline.
    """
    if not doc.headerish(j):
        return False
    bare_names = _looks_like_name_list(doc.lines[j].text)
    return not bare_names or bool(doc.authors(j)) or doc.dateline(j)[0]


def _locate_lead(doc: _Doc, start: int, end: int) -> tuple[int, list[int]]:
    """First body paragraph: skip prose cut off from the rest by header lines or a picture."""
    lines = doc.lines
    isolated: list[int] = []
    i = start
    furniture_seen = False
    for _ in range(4):
        nxt = doc.next_prose(i + 1, end)
        if nxt is None:
            break
        remaining = sum(ln.words for ln in lines[nxt : end + 1] if ln.prose)
        if remaining < 1.5 * lines[i].words:
            break
        gap = range(i + 1, nxt)
        # Bylines and datelines come once, between standfirst and lead; after that, only a
        # photo can still separate a line from the body (author boxes sit inside articles).
        header_gap = not furniture_seen and any(_isolating(doc, j) for j in gap)
        furniture_seen = furniture_seen or header_gap
        picture_gap = any(lines[j].credit or lines[j].caption for j in gap)
        # A photo credit after a very short line marks that line as the photo's caption.
        # Publishers put credits above or below captions, so a paragraph followed by a
        # credit is common too; captions isolated this way on the development corpus have
        # at most 18 words, leads are longer.
        short_caption = picture_gap and lines[i].words <= 18 and _caption_like(lines[i])
        if header_gap or short_caption or _picture_caption(doc, i):
            isolated.append(i)
            i = nxt
            continue
        break
    return i, isolated


def _cut_trailing(lines: list[_Line], start: int, end: int) -> int:
    """Stop the body at a trailing-section marker ("Related", "Mehr zum Thema")."""
    total = sum(ln.words for ln in lines[start : end + 1] if ln.prose)
    seen = 0.0
    for i in range(start, end + 1):
        ln = lines[i]
        if ln.prose:
            seen += ln.words
        elif i > start and seen >= 0.6 * total and _trailing_marker(ln):
            return i - 1
    return end


_MORE_FROM = re.compile(
    r"^(?:more|mehr|plus|más|mas|altri|altre|meer|mer|flere|więcej|další|daha|lainnya|ещё|еще)\b",
    re.IGNORECASE,
)


def _trailing_marker(ln: _Line) -> bool:
    """A heading that opens the trailing section: "Related", "More from X", "Mehr zum Thema"."""
    if ln.key in _TRAILING_KEYS:
        return True
    return ln.words <= 4 and not ln.terminal and bool(_MORE_FROM.match(ln.key))


# --------------------------------------------------------------------------- header


@dataclass(slots=True)
class _Layout:
    """Where everything is: indices into the document's lines."""

    lead: int
    end: int
    title: int | None = None
    description: int | None = None
    captions: frozenset[int] = frozenset()


def _layout(doc: _Doc, start: int, end: int, url: str | None) -> _Layout:
    lines = doc.lines
    lead, isolated = _locate_lead(doc, start, end)
    window_start = max(0, start - _HEADER_WINDOW)
    for i in range(start - 1, window_start - 1, -1):
        # An earlier run of prose (another story's teaser text) closes the header zone;
        # a lone prose line (a standfirst) does not.
        if lines[i].prose and start - i > 8 and _has_prose_neighbour(lines, i):
            window_start = i + 1
            break
    title = _pick_headline(doc, window_start, lead, lead, url)
    if title is not None and title >= lead:
        nxt = doc.next_prose(title + 1, end)
        if nxt is None:
            title = None
        else:
            lead, more = _locate_lead(doc, nxt, end)
            isolated.extend(more)
    layout = _Layout(lead=lead, end=_cut_trailing(lines, lead, end), title=title)
    _classify_pre_lead(doc, layout, window_start, isolated)
    return layout


def _classify_pre_lead(doc: _Doc, layout: _Layout, window_start: int, isolated: list[int]) -> None:
    """Standfirst or caption for the prose-like lines between headline and lead."""
    lines = doc.lines
    first = layout.title + 1 if layout.title is not None else window_start
    captions: set[int] = set()
    for i in range(first, layout.lead):
        ln = lines[i]
        if ln.chrome or ln.credit or ln.ui or doc.headerish(i):
            continue
        if not (ln.prose or i in isolated or ln.words >= 8):
            continue
        picture = ln.caption or _next_to_credit(lines, i) or _pictureish(doc, i)
        if picture:
            captions.add(i)
        elif (
            layout.description is None
            and layout.title is not None
            and _only_furniture(doc, layout.title + 1, i)
            and _standfirst_like(lines[layout.title], ln)
        ):
            layout.description = i
    layout.captions = frozenset(captions)


def _standfirst_like(title: _Line, ln: _Line) -> bool:
    """A summary, not a second headline: new words, and a sentence or longer than the title."""
    mine, theirs = _plain_tokens(ln.text), _plain_tokens(title.text)
    if not mine or len(mine & theirs) >= 0.5 * len(mine | theirs):
        return False
    return not _DATE_LABEL.search(ln.text) and (ln.terminal or ln.words >= 0.6 * title.words)


def _plain_tokens(text: str) -> set[str]:
    return {t for t in _SLUG_SPLIT.split(_fold(text)) if len(t) > 2}


def _next_to_credit(lines: list[_Line], i: int) -> bool:
    return any(0 <= j < len(lines) and lines[j].credit for j in (i - 1, i + 1))


def _only_furniture(doc: _Doc, first: int, last: int) -> bool:
    """Nothing but chrome and header furniture in ``[first, last)``."""
    return all(_skippable(doc, j) for j in range(first, last))


def _pick_authors(doc: _Doc, zone: range) -> tuple[str, ...]:
    for i in zone:
        names = doc.authors(i)
        if names:
            return names
    return ()


def _pick_date(doc: _Doc, zone: range, *, header_found: bool) -> datetime | None:
    """Published first, then a bare dateline, then an 'updated' date; never from captions.

    A bare date (no "Published"-like label) is trusted only under an identified
    headline and only when every bare date there names the same day: teaser
    lists and tickers carry dates of other stories.
    """
    labelled: list[_DateHit] = []
    bare: list[_DateHit] = []
    for i in zone:
        ln = doc.lines[i]
        if ln.caption or ln.prose or ln.words > 25:
            continue
        is_dateline, hits = doc.dateline(i)
        if not is_dateline and not doc.authors(i):
            continue
        for hit in hits:
            (labelled if hit.labelled else bare).append(hit)
    for hit in labelled:
        if not hit.updated:
            return hit.value
    if bare and header_found and len({hit.value.date() for hit in bare}) == 1:
        return bare[0].value
    return labelled[0].value if labelled else None


# --------------------------------------------------------------------------- entry point


def clean_text_scrape(
    text: str, *, url: str | None = None, max_chars: int = DEFAULT_MAX_CHARS
) -> TextScrape:
    """Recover headline, body, byline and dateline from a plain-text scrape of a news page.

    ``url``, when known, only helps choose the headline (words of its slug).
    Raises :class:`ScrapeTooLargeError` above ``max_chars``; never raises for
    odd content: empty or chrome-only input gives an empty ``text``.
    """
    if len(text) > max_chars:
        raise ScrapeTooLargeError(f"text scrape has {len(text)} characters, limit {max_chars}")
    lines = _line_features(_split_lines(text))
    if not lines:
        return TextScrape(None, "", None, (), None, None, ())
    language = _detect_language(ln for ln in lines if ln.words >= _PROSE_MIN_WORDS)
    _mark_repeated_chrome(lines)
    _mark_prose(lines, use_stopwords=language in _STOPWORDS)
    doc = _Doc.of(lines, language)
    segment = _best_segment(doc)
    if segment is None:
        return _without_body(doc)
    layout = _layout(doc, segment[0], segment[1], url)
    zone_start = layout.title if layout.title is not None else max(0, layout.lead - 8)
    zone = range(zone_start, min(len(lines), layout.lead + 5))
    logger.debug(
        "text scrape: %d lines, body %d..%d, lead %d, headline %s, language %s",
        len(lines),
        segment[0],
        layout.end,
        layout.lead,
        layout.title,
        language,
    )
    return _assemble(
        doc,
        layout,
        _pick_authors(doc, zone),
        _pick_date(doc, zone, header_found=layout.title is not None),
    )


def _without_body(doc: _Doc) -> TextScrape:
    """No prose run: keep whatever is not chrome, claim no headline or date."""
    kept = [ln.text for ln in doc.lines if not _flagged(ln)]
    dropped = tuple((ln.text, _reason(ln)) for ln in doc.lines if _flagged(ln))
    return TextScrape(None, "\n\n".join(kept), None, (), None, doc.language, dropped)


def _flagged(ln: _Line) -> bool:
    return ln.chrome or ln.credit or ln.caption


def _reason(ln: _Line) -> str:
    if ln.caption:
        return "caption"
    if ln.credit:
        return "credit"
    return "chrome"


def _body_reason(doc: _Doc, i: int, lead: int) -> str | None:
    """Why a line inside the body run is dropped, or ``None`` to keep it."""
    lines = doc.lines
    ln = lines[i]
    if _flagged(ln):
        return _reason(ln)
    if ln.prose:
        return None
    if ln.ui and not (i > 0 and lines[i - 1].prose and i + 1 < len(lines) and lines[i + 1].prose):
        return "chrome"
    if ln.words <= 16 and (doc.headerish(i) if i - lead < 5 else doc.dateline(i)[0]):
        return "byline" if doc.authors(i) else "dateline"
    return None


def _header_reason(doc: _Doc, i: int, layout: _Layout) -> str:
    """Why a line above the lead is dropped: site chrome above the headline, furniture below."""
    ln = doc.lines[i]
    if i in layout.captions:
        return "caption"
    if _flagged(ln):
        return _reason(ln)
    furniture = _furniture_reason(doc, i)
    if furniture:
        return furniture
    above_headline = layout.title is not None and i < layout.title
    return "chrome" if ln.ui or above_headline else "header"


def _furniture_reason(doc: _Doc, i: int) -> str | None:
    if doc.authors(i):
        return "byline"
    return "dateline" if doc.dateline(i)[0] else None


def _assemble(
    doc: _Doc, layout: _Layout, authors: tuple[str, ...], published: datetime | None
) -> TextScrape:
    dropped: list[tuple[str, str]] = []
    body: list[str] = []
    for i, ln in enumerate(doc.lines):
        reason: str | None
        if i == layout.title:
            reason = "headline"
        elif i == layout.description:
            reason = "description"
        elif i < layout.lead:
            reason = _header_reason(doc, i, layout)
        elif i > layout.end:
            reason = "trailing"
        else:
            reason = _body_reason(doc, i, layout.lead)
        if reason is None:
            body.append(ln.text)
        else:
            dropped.append((ln.text, reason))
    lines = doc.lines
    return TextScrape(
        title=lines[layout.title].text if layout.title is not None else None,
        text="\n\n".join(body),
        description=lines[layout.description].text if layout.description is not None else None,
        authors=authors,
        published_at=published,
        language=doc.language,
        dropped=tuple(dropped),
    )
