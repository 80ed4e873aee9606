-- Full-text search: an inverted index over the title and text of each article's latest
-- version, kept in step incrementally (warehouse/search.py) and ranked by BM25 at query time
-- (the macros main.search_terms and main.search_articles in views.sql). Words are cut on
-- anything that is not a letter or digit, lower-cased, accents stripped, English stop words
-- dropped and Porter-stemmed with the fts extension's stem() function.
-- Why not PRAGMA create_fts_index: it can only rebuild the whole index (133 s for 100,000
-- articles here), so every run that adds a few articles would pay minutes; refreshing this
-- index costs what the run changed (about 0.3-0.5 s per 100 articles at 100,000). Terms are
-- numbered (search_dictionary) because a scan of integer ids is several times faster than
-- of strings. See docs/queries.md#full-text-search for the measurements.
-- (Replaces 0004_search.sql of an early development version, whose tables it drops.)

DROP TABLE IF EXISTS store.search_postings;

DROP TABLE IF EXISTS store.search_docs;

DROP TABLE IF EXISTS store.search_stopwords;

CREATE TABLE store.search_docs (
    article_id  BIGINT PRIMARY KEY,
    version_no  INTEGER NOT NULL,   -- the version indexed; behind articles.version_count = stale
    length      INTEGER NOT NULL,   -- indexed terms (title terms counted with their weight)
    indexed_at  TIMESTAMPTZ NOT NULL
);

-- No index on either column: the one writer keeps both unique, and a scan of the
-- dictionary is cheaper than loading an ART index into memory on every connection.
CREATE TABLE store.search_dictionary (
    term_id  INTEGER NOT NULL,      -- 1, 2, ... in the order terms were first indexed
    term     VARCHAR NOT NULL       -- a stemmed word
);

CREATE TABLE store.search_postings (
    term_id     INTEGER NOT NULL,   -- search_dictionary.term_id
    article_id  BIGINT NOT NULL,
    tf          INTEGER NOT NULL    -- occurrences; one in the title counts as two
);

CREATE TABLE store.search_stopwords (
    word  VARCHAR PRIMARY KEY       -- never indexed nor searched (the fts extension's English list)
);

INSERT INTO store.search_stopwords VALUES
    ('a'), ('able'), ('about'), ('above'), ('according'), ('accordingly'), ('across'),
    ('actually'), ('after'), ('afterwards'), ('again'), ('against'), ('all'), ('allow'),
    ('allows'), ('almost'), ('alone'), ('along'), ('already'), ('also'), ('although'),
    ('always'), ('am'), ('among'), ('amongst'), ('an'), ('and'), ('another'), ('any'),
    ('anybody'), ('anyhow'), ('anyone'), ('anything'), ('anyway'), ('anyways'), ('anywhere'),
    ('apart'), ('appear'), ('appreciate'), ('appropriate'), ('are'), ('around'), ('as'),
    ('aside'), ('ask'), ('asking'), ('associated'), ('at'), ('available'), ('away'),
    ('awfully'), ('b'), ('be'), ('became'), ('because'), ('become'), ('becomes'), ('becoming'),
    ('been'), ('before'), ('beforehand'), ('behind'), ('being'), ('believe'), ('below'),
    ('beside'), ('besides'), ('best'), ('better'), ('between'), ('beyond'), ('both'), ('brief'),
    ('but'), ('by'), ('c'), ('came'), ('can'), ('cannot'), ('cant'), ('cause'), ('causes'),
    ('certain'), ('certainly'), ('changes'), ('clearly'), ('co'), ('com'), ('come'), ('comes'),
    ('concerning'), ('consequently'), ('consider'), ('considering'), ('contain'),
    ('containing'), ('contains'), ('corresponding'), ('could'), ('course'), ('currently'),
    ('d'), ('definitely'), ('described'), ('despite'), ('did'), ('different'), ('do'), ('does'),
    ('doing'), ('done'), ('down'), ('downwards'), ('during'), ('e'), ('each'), ('edu'), ('eg'),
    ('eight'), ('either'), ('else'), ('elsewhere'), ('enough'), ('entirely'), ('especially'),
    ('et'), ('etc'), ('even'), ('ever'), ('every'), ('everybody'), ('everyone'), ('everything'),
    ('everywhere'), ('ex'), ('exactly'), ('example'), ('except'), ('f'), ('far'), ('few'),
    ('fifth'), ('first'), ('five'), ('followed'), ('following'), ('follows'), ('for'),
    ('former'), ('formerly'), ('forth'), ('four'), ('from'), ('further'), ('furthermore'),
    ('g'), ('get'), ('gets'), ('getting'), ('given'), ('gives'), ('go'), ('goes'), ('going'),
    ('gone'), ('got'), ('gotten'), ('greetings'), ('h'), ('had'), ('happens'), ('hardly'),
    ('has'), ('have'), ('having'), ('he'), ('hello'), ('help'), ('hence'), ('her'), ('here'),
    ('hereafter'), ('hereby'), ('herein'), ('hereupon'), ('hers'), ('herself'), ('hi'), ('him'),
    ('himself'), ('his'), ('hither'), ('hopefully'), ('how'), ('howbeit'), ('however'), ('i'),
    ('ie'), ('if'), ('ignored'), ('immediate'), ('in'), ('inasmuch'), ('inc'), ('indeed'),
    ('indicate'), ('indicated'), ('indicates'), ('inner'), ('insofar'), ('instead'), ('into'),
    ('inward'), ('is'), ('it'), ('its'), ('itself'), ('j'), ('just'), ('k'), ('keep'),
    ('keeps'), ('kept'), ('know'), ('known'), ('knows'), ('l'), ('last'), ('lately'), ('later'),
    ('latter'), ('latterly'), ('least'), ('less'), ('lest'), ('let'), ('like'), ('liked'),
    ('likely'), ('little'), ('look'), ('looking'), ('looks'), ('ltd'), ('m'), ('mainly'),
    ('many'), ('may'), ('maybe'), ('me'), ('mean'), ('meanwhile'), ('merely'), ('might'),
    ('more'), ('moreover'), ('most'), ('mostly'), ('much'), ('must'), ('my'), ('myself'), ('n'),
    ('name'), ('namely'), ('nd'), ('near'), ('nearly'), ('necessary'), ('need'), ('needs'),
    ('neither'), ('never'), ('nevertheless'), ('new'), ('next'), ('nine'), ('no'), ('nobody'),
    ('non'), ('none'), ('noone'), ('nor'), ('normally'), ('not'), ('nothing'), ('novel'),
    ('now'), ('nowhere'), ('o'), ('obviously'), ('of'), ('off'), ('often'), ('oh'), ('ok'),
    ('okay'), ('old'), ('on'), ('once'), ('one'), ('ones'), ('only'), ('onto'), ('or'),
    ('other'), ('others'), ('otherwise'), ('ought'), ('our'), ('ours'), ('ourselves'), ('out'),
    ('outside'), ('over'), ('overall'), ('own'), ('p'), ('particular'), ('particularly'),
    ('per'), ('perhaps'), ('placed'), ('please'), ('plus'), ('possible'), ('presumably'),
    ('probably'), ('provides'), ('q'), ('que'), ('quite'), ('qv'), ('r'), ('rather'), ('rd'),
    ('re'), ('really'), ('reasonably'), ('regarding'), ('regardless'), ('regards'),
    ('relatively'), ('respectively'), ('right'), ('s'), ('said'), ('same'), ('saw'), ('say'),
    ('saying'), ('says'), ('second'), ('secondly'), ('see'), ('seeing'), ('seem'), ('seemed'),
    ('seeming'), ('seems'), ('seen'), ('self'), ('selves'), ('sensible'), ('sent'), ('serious'),
    ('seriously'), ('seven'), ('several'), ('shall'), ('she'), ('should'), ('since'), ('six'),
    ('so'), ('some'), ('somebody'), ('somehow'), ('someone'), ('something'), ('sometime'),
    ('sometimes'), ('somewhat'), ('somewhere'), ('soon'), ('sorry'), ('specified'), ('specify'),
    ('specifying'), ('still'), ('sub'), ('such'), ('sup'), ('sure'), ('t'), ('take'), ('taken'),
    ('tell'), ('tends'), ('th'), ('than'), ('thank'), ('thanks'), ('thanx'), ('that'),
    ('thats'), ('the'), ('their'), ('theirs'), ('them'), ('themselves'), ('then'), ('thence'),
    ('there'), ('thereafter'), ('thereby'), ('therefore'), ('therein'), ('theres'),
    ('thereupon'), ('these'), ('they'), ('think'), ('third'), ('this'), ('thorough'),
    ('thoroughly'), ('those'), ('though'), ('three'), ('through'), ('throughout'), ('thru'),
    ('thus'), ('to'), ('together'), ('too'), ('took'), ('toward'), ('towards'), ('tried'),
    ('tries'), ('truly'), ('try'), ('trying'), ('twice'), ('two'), ('u'), ('un'), ('under'),
    ('unfortunately'), ('unless'), ('unlikely'), ('until'), ('unto'), ('up'), ('upon'), ('us'),
    ('use'), ('used'), ('useful'), ('uses'), ('using'), ('usually'), ('uucp'), ('v'), ('value'),
    ('various'), ('very'), ('via'), ('viz'), ('vs'), ('w'), ('want'), ('wants'), ('was'),
    ('way'), ('we'), ('welcome'), ('well'), ('went'), ('were'), ('what'), ('whatever'),
    ('when'), ('whence'), ('whenever'), ('where'), ('whereafter'), ('whereas'), ('whereby'),
    ('wherein'), ('whereupon'), ('wherever'), ('whether'), ('which'), ('while'), ('whither'),
    ('who'), ('whoever'), ('whole'), ('whom'), ('whose'), ('why'), ('will'), ('willing'),
    ('wish'), ('with'), ('within'), ('without'), ('wonder'), ('would'), ('x'), ('y'), ('yes'),
    ('yet'), ('you'), ('your'), ('yours'), ('yourself'), ('yourselves'), ('z'), ('zero');
