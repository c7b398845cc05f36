"""Common words: the everyday words of English and of talk about software.

A request's words that are common (`is_common_word`) describe what is asked;
they never single out a unit by themselves (see `headroom.stages.score`). A word
that is not common, such as a package, program or host name (`openssl`,
`nodejs`, `gpgconf`), names one thing. Inflected forms are read back to their
stem (`installed`, `restarting`, `libraries`, `configuration`), so the list holds
stems only. The list was written for Headroom, word by word.
"""

from __future__ import annotations

from functools import lru_cache

_ENGLISH = """
a i is are was were been has had having does doing ours yours theirs hers mine ah eh hi ie eg vs etc
able about above accept access according account across act action active actual actually add address
admit affect after afternoon again against age ago agree ahead air all allow almost alone along already
also although always am among amount an and animal another answer any anybody anyone anything anyway
anywhere apart appear apply approach area argue arm around arrive art article as ask assume at attack
attempt attention available average avoid away back bad bag ball bank bar base basic basis be bear beat
beautiful because become bed before begin behavior behind being believe below beneath beside best better
between beyond big bill bit black blank block blue board body book born both bottom box boy brain break
bridge brief bright bring broad brother brown build building burn business busy but buy by call calm
camera can capital car card care career carry case cat catch cause center central century certain
certainly chain chair challenge chance change character charge cheap check child choice choose church
circle citizen city civil claim class clean clear clearly close closed cloud club coast cold collect
college color come comment common community company compare complete completely concern condition
consider contain continue control cook cool copy corner correct cost could count country couple course
court cover create crime cross crowd culture cup current currently customer cut dark data date daughter
day dead deal dear death decade decide decision deep defense degree deliver demand depend describe design
despite detail determine develop device did die difference different difficult dinner direct direction
directly discover discuss disease do doctor dog door double doubt down draw dream dress drink drive drop
during each early earth east easy eat economic economy edge effect effort eight either else elsewhere
empty end energy enjoy enough ensure enter entire entirely environment equal especially even evening
event ever every everybody everyone everything everywhere evidence exact exactly example except exist
expect experience explain express extra eye face fact factor fail fair fall false family far fast father
fear feel feeling few field fight figure fill film final finally financial find fine finger finish fire
firm first fish fit five fix floor fly focus follow food foot for force foreign forget form former forward
four free friend from front full fun future game garden gas general generally get girl give glad glass go
goal god good great green ground group grow growth guess guy hair half hall hand handle hang happen happy
hard have he head health hear heart heat heavy hello help her here herself high him himself his history
hit hold hole home hope hot hour house how however huge human hundred husband idea if ignore image imagine
immediately important improve in include including increase indeed indicate individual industry
information inside instead interest interesting into involve issue it item its itself job join just keep
key kid kill kind kitchen know knowledge land language large last late later laugh law lay lead leader
learn least leave left leg less let letter level lie life light like likely limit line list listen little
live local long look lose loss lot love low machine main maintain major make man manage many market
matter may maybe me mean measure media meet meeting member memory mention middle might mind minute miss
moment money month more morning most mother mouth move movie much must my myself name nation natural
nature near nearly necessary need never new news next nice night nine no nobody none nor normal north
not note nothing notice now number object obvious obviously occur of off offer office often oh oil ok
okay old on once one only onto open operation opportunity or order other others otherwise our out outside
over own owner page pain paper parent part particular particularly party pass past pay peace people per
perform perhaps period person personal phone pick picture piece place plan play player please point
police policy political poor popular position positive possible power practice prepare present pretty
prevent price probably problem produce product program project prove provide public pull purpose push
put quality question quick quickly quiet quite race rain raise range rate rather reach read ready real
reality really reason receive recent recently recognize record red reduce reflect region relate
relationship remain remember remove report represent require research resource respond response rest
result return reveal rich right rise risk road rock role room rule run safe same save say scene school
science score sea season seat second section security see seek seem sell send sense serious serve set
seven several shake shall shape share she short shot should shoulder show side sign significant similar
simple simply since sing single sister sit site situation six size skill skin small smile so social
society soft some somebody someone something sometimes somewhere son song soon sorry sort sound source
south space speak special specific speed spend spring staff stage stand standard star start state
statement station stay step still stock stop store story strange street strong structure student study
stuff style subject succeed success successful such suddenly suffer suggest summer support suppose sure
surface system table take talk task teach team tell ten tend term test than thank thanks that the their
them themselves then theory there these they thing think third this those though thought thousand three
through throughout throw thus time to today together tomorrow tonight too top total touch toward towards
town trade traditional train travel treat tree trial trip trouble true truth try turn twice two type
under understand unit until up upon us use usual usually value various very view visit voice wait walk
wall want war watch water way we weak wear week weight well west what whatever when whenever where
whether which while white who whole whom whose why wide wife will win window wish with within without
woman wonder word work worker world worry would write wrong yard yeah year yes yesterday yet you young
your yourself zero
"""

# Words every developer uses about software, systems and data.
_SOFTWARE = """
abort absolute abstract accessor account action activate adapter addon admin agent alert algorithm alias
allocate alpha analyze anchor annotation api app append application apply archive argument array
artifact ascii assert asset assign async attach attribute audit auth authenticate author auto automatic
await backend backup bandwidth banner batch benchmark beta binary bind bit blob bool boolean boot bootstrap
bound branch breakpoint broker browser buffer bug build builder bundle button byte cache call callback
caller canary cancel capture cert certificate channel char character chart checkout checksum child chunk
cipher class classpath clause cleanup cli click client clock clone close cluster code codec collection
column command commit compile compiler component compress compute concurrent config configure conflict
connect connection console const constant constraint consumer container content context contract
controller convert cookie core count counter cpu crash credential cron crypto css csv cursor daemon
dashboard database dataset datetime deadline debug debugger declare decode decorator default define
definition delay delete dependency deploy deployment deprecate describe deserialize destination detect
dev develop developer device diagnostic dict dictionary diff digest dir directory disable disk dispatch
display distribution dns doc docs document domain download draft driver dump duplicate duration
dynamic edit editor element email emit empty enable encode encrypt endpoint engine entry enum env
environment epoch error escape eval evaluate event exception exec execute exit expand expire export
expression extension extract factory fail failover fallback feature fetch field file filename filter
firewall fix flag float flush folder font fork format forward frame framework frontend function gateway
generate generic get getter global graph group guard handler hash header heap helper hook host
hostname html http https icon id identifier implement import index init initial initialize inject input
insert install instance int integer integration interface internal interval invalid invoke ip issue
iterate iterator job join json kernel key keyword label lambda latency layer layout lib
library license limit line link lint list listener literal load loader local locale lock log logger
login logout loop lookup main manager manifest map mapping master match max memory merge message metadata
method metric middleware migrate migration min mirror mock mode model modify module monitor mount
multiple mutex namespace native network node null object offset online option output overflow override
owner package packet page pagination panel param parameter parent parse parser partition password patch
path pattern payload peer permission persist pid pipe pipeline platform plugin pod pointer policy poll
pool port post prefix primary print priority private probe process processor producer profile prompt
property protocol provider proxy public publish pull push query queue ram random range rate raw
read reader readme rebase receive record recursive redirect reference refresh regex register registry
release reload remote render replica replicate repo repository request require reset resolve resource
response rest restart restore result retry return revert review role rollback root route router row
rule runtime sandbox scan schedule scheduler schema scope script sdk search secret section select
selector send sequence serial serialize server service session set setting setup shard shell signal
signature size slice snapshot socket sort source span spawn spec split sql stack staging start startup state
static status stderr stdin stdout step storage store stream string struct stub style subnet subscribe
suffix suite super swap switch symbol sync syntax system tab table tag target task template tenant
terminal test text thread threshold throttle throw tick ticket timeout timer timestamp timezone token
tool topic trace track transaction transform trigger truncate tuple type typo ui unicode unique unit
unix update upgrade upload uri url usage user username utf utility uuid validate validation value var
variable vector verbose verify version view virtual volume warn warning web webhook widget worker
workflow wrapper write xml yaml zip zone
"""

# More everyday words, and irregular forms the endings do not reach.
_MORE = """
ability absence abuse accident accuracy accurate achieve acid acquire adapt addition additional adequate
adjust adult advance advantage advice affair afford afraid agency agenda aggregate aid aim alarm album
alive alter alternative amazing ambition amend analysis ancient angle angry announce annual anxious
anybody apparent appeal appearance appreciate appropriate approve approximate arbitrary arise arrange
arrangement arrest arrival aside aspect assess assessment assist associate association assumption
atmosphere attach attend attitude attract audience authority awake award aware awful baby background
balance band barely bare barrier basket bath battery battle beach bean beauty bedroom beer beginning
belong belt bench bend benefit bet bid bike bin bird birth blame blind blood blow boat bold bomb bond bone
bonus border bored borrow boss bother bound bowl brand bread breakfast breath breathe brick bright brush
bucket budget bunch burden bury bus button cabin cable cake calculate campaign cancer candidate cap
capable capacity capital captain carbon careful carefully cash cast casual category ceiling cell chamber
champion channel chapter charity chart chase cheek cheese chemical chest chicken chief chip chop chosen
chunk circumstance cite claim classic classroom clever climate climb clinic clothes coach coat coffee coin
collapse colleague combination combine comfort comfortable command commercial commission commitment
committee communicate comparison compete competition competitive complain complaint complex complicated
component compose concentrate concept conclude conclusion concrete conduct conference confidence confirm
confuse confusion congress consequence conservative considerable consist consistent constant constantly
construct construction consult consume consumption contact contemporary contest context contribute
contribution convention conversation convince cooperation coordinate cope core corporate correctly
council counter county courage cousin crack craft crash crazy cream creative credit crew crisis criteria
critic critical criticism crop crucial cry cultural curious curve cycle daily damage dance danger
dangerous debate debt decline decrease dedicate deeply defeat defend deficit define definitely delay
delicate delight democracy demonstrate deny department departure deposit depth deputy derive desert
deserve desk desperate destroy destruction detailed detect developer diet differ difficulty dig digital
dimension dirty disabled disagree disappear disaster discipline discount discovery discussion dish
dismiss disorder dispute distance distinct distinguish district divide division divorce document domestic
dominant downstream dozen drag drama dramatic drawing drug dry due dust duty eager ear earn ease
easily edition educate education effective efficient elderly elect election electric electricity
electronic elegant element eliminate embrace emerge emergency emotion emotional emphasis employ employee
employer employment enable encounter encourage enemy engage engineer enhance enormous enterprise
entertainment enthusiasm entity episode equipment era essay essential establish estate estimate ethnic
evaluate eventually evident evil evolve exam examine exceed excellent exchange excite exclude excuse
executive exercise exhibit expansion expectation expense expensive experiment expert explore explosion
exposure extend extent external extraordinary extreme fabric facility faith familiar famous fan fancy
farm farmer fashion fat fault favor favorite feather federal fee feed fellow female fence festival fiction
fifteen fifty fighter file finance finding fitness flat flavor flesh flight float flood flow flower fluid
fold folk fond fool forest forever formal formula fortune found foundation frame frankly freedom
frequency frequent frequently fresh fridge fruit fuel fully function fund fundamental funny furniture
gain gallery gang gap gate gather gear gender gene generate generation genuine gift given glance global
golden golf govern governor grab grade gradually grain grand grant grass grateful grave gray guarantee
guard guest guide guilty gun habit halt harm hate headline heal hearing heaven height hell helpful
hence hero hesitate hidden hide highlight highly hill hire historic historical hobby holiday hollow holy
honest honor horizon horror horse hospital host hotel household housing hunt hurry hurt ice ideal
identify identity idle ignore ill illegal illness illustrate immediate immigrant impact implement
implication imply import impose impossible impression impressive income incorporate incredible
independent index inevitable infant infection inflation influence inform ingest ingredient initial
initially initiative injury inner innocent inquiry insight insist inspect inspire install instance
institution instruction instrument insurance intelligence intend intense intention interaction
interactive interior interpret interval intervention interview introduce invent inventory invest
investigate investment investor invitation invite island isolate jacket joint joke journey judge
judgment juice jump junior jury justice justify keen kick killer king kiss knee knife knock lab labor
lack lady lake lamp landscape lap laptop largely laser latter launch lawn lawyer layer lazy league lean
leap lecture legacy legal legend legislation lens lesson liberal lifestyle lifetime lift likewise limited
linear lip liquid literally literature loan location logic logical lonely loose lord loud lovely lower
loyal luck lucky lunch luxury mad magazine magic magnitude mail mainly majority male mall manner
manufacture margin marine mark marked marriage married mass massive master mate material maximum meal
meaning meanwhile mechanism medal medical medium membership mental mere merely mess metal meter method
mid midnight mild military milk million mine minimal minimum minister minor minority miracle mirror
missile mission mistake mix mixture mobile moderate modern modest monitor mood moral moreover mortgage
mostly motion motivate motor mount mountain mouse multiple murder muscle museum music mutual mystery myth
naked narrative narrow nasty native naval navigate neat necessarily neck negative negotiate neighbor
neighborhood neither nerve nervous net neutral nevertheless newly nod noise nominate nonetheless noon
norm notably novel nowhere nuclear nurse nut objective obligation observation observe obtain occasion
occasionally occupy odd odds offense offensive officer official online opening operate operator opinion
opponent oppose opposite opposition option orange ordinary organ organic organization organize origin
original originally ought outcome outline outstanding overall overcome overlook owe pace pack pair pale
palm panel panic parallel park parking participant participate partly partner passage passenger passion
patient pattern pause peak peer penalty pension percent percentage perception perfect perfectly
performance permanent permit persist personality perspective persuade phase phenomenon philosophy
photo phrase physical physician piano pile pilot pin pipe pitch plain planet plant plastic plate
platform pleasure plenty plot plus pocket poem poet poetry pole poll pollution pool pop population port
portion portrait pose possess possession possibility possibly pot potato potential pound pour poverty
powerful practical pray prayer precise precisely predecessor predict prefer preference pregnant premise
premium presence preserve president press pressure presumably prevention previous previously pride
priest primarily prime prince princess principal principle print prior priority prison prisoner privacy
prize procedure proceed producer production profession professional professor profile profit profound
progress prohibit prominent promise promote prompt proof proper properly proportion proposal propose
prospect protect protection protein protest proud psychology pulse pump punch punish purchase pure pursue
puzzle qualify quarter queen quote radical radio rail random ran rank rapid rapidly rare rarely ratio
raw react reaction readily realistic realize rear reasonable rebel recall receipt reception recipe
recommend recover recovery recruit reference reform refuse regard regardless regime regional regular
regularly regulation reject rejection relative relatively relax relevant relief religion religious rely
remark remarkable remind remote rent repair repeat repeatedly replace reply representative reputation
request rescue resemble reserve resident resign resist resistance resolution resolve resort respect
respective respectively responsibility responsible restaurant restore restrict restriction retain
retire retirement reverse revolution reward rhythm rid ride ring rival river roll romantic roof root rope
rough round route routine row royal rub ruin rural rush sacred sad safety sail salad salary sale salt
sample sand satellite satisfy sauce scale scandal scare scenario schedule scheme scholar scope screen
sector secure seed segment seize seldom select selection senior sensitive sentence separate sequence
series servant session settle settlement severe sexual shade shadow shallow shame sharp shed sheet shelf
shell shelter shift shine ship shirt shock shoe shoot shop shore shortly shout shut shy sick sight silent
silk silly silver similarly simultaneously sin sink sir sky slave sleep slide slight slightly slip slow
slowly smart smell smoke smooth snap snow soap soccer soil soldier sole solid solution solve somewhat
soul soup spare spark speaker species spectrum speech spell spin spirit spiritual split spokesman sponsor
sport spot spray spread square squeeze stable stadium stake stall stare statistic steady steal steel steep
stem stick stiff stimulus stir stomach stone storm strategic strategy straw stream strength stress
stretch strict strike striking strip stroke struggle stupid submit subsequent substance substantial
substitute subtle suburb successor sudden sufficient sugar suicide suit suitable sum summary summit sun
super supply surely surgery surplus surprise surprising surround survey survival survive suspect sustain
swear sweep sweet swim swing sword symbol sympathy tail tale talent tank tap tape target tax tea teacher
tear technique technology teen telephone television temperature temporary tender tension tent terrible
territory terror testify testimony texture theater theme therapy thereby thick thin thorough thoroughly
threat threaten throat thumb ticket tie tight tile tiny tip tired tissue title tone tongue tool tooth
topic toss tough tour tourist tower toy trace trail tragedy transfer transition translate transport trap
trash treasure treatment treaty tremendous trend tribe trick troop tropical truck truly trust tube tune
tunnel twin typical typically ugly ultimate ultimately unable uncle underlying undergo undertake
unfortunately uniform union unique universal universe university unknown unless unlike unlikely unusual
upper upstream upset urban urge urgent useful user utility vacation valid valley valuable variable
variation variety vast vegetable vehicle venture version versus vessel veteran victim victory video
village violate violence violent virtual virtue visible vision visitor visual vital volume volunteer vote
voter vulnerable wage wake wander warm warmth warn wash waste wave wealth weapon weather wedding weekend
weekly welcome welfare wet whereas whisper wild wildlife willing wind wine wing winner winter wipe wire
wise wit withdraw witness wolf wonderful wood wooden worth wound wrap writer yellow yield youth
began begun bought brought built came caught chose did done drew driven drove ate fallen fell felt fled
flew forgot forgotten fought found gave gone got gotten grew grown had heard held hid kept knew known
laid led left lent lost made meant met paid ran rang rode rose said sang sat saw seen sent set shook shot
showed shown shut slept sold sought spent spoke spoken stood stole stuck struck swam taken taught thought
threw thrown told took torn tried understood was went were woke won wore worn written wrote
"""

# Keywords and names common to programming languages, often written in a request about code.
_KEYWORDS = """
ms ns mb gb kb tb kib mib gib os db vm io pr ci cd pm tz utc
args bool break cls const def elif else enum esac extends false fi final fn func goto impl implements
instanceof kwargs let mut nil none null println printf pub readonly self static str struct super this
true try typedef typeof undefined var void while yield
"""

COMMON_WORDS = frozenset(" ".join((_ENGLISH, _SOFTWARE, _MORE, _KEYWORDS)).split())

# Endings read back to a stem, longest first: (ending, what replaces it).
_ENDINGS = (
    ("ations", "e"), ("ations", ""), ("ation", "e"), ("ation", ""), ("ities", "e"), ("ities", ""),
    ("ings", ""), ("ings", "e"), ("ies", "y"), ("ied", "y"), ("ily", "y"), ("ness", ""), ("ment", ""),
    ("ments", ""), ("able", ""), ("able", "e"), ("ible", "e"), ("ity", "e"), ("ity", ""), ("ers", ""),
    ("ers", "e"), ("ing", ""), ("ing", "e"), ("ion", ""), ("ion", "e"), ("ful", ""), ("est", ""),
    ("est", "e"), ("es", ""), ("ed", ""), ("ed", "e"), ("er", ""), ("er", "e"), ("ly", ""), ("al", ""),
    ("s", ""),
)  # fmt: skip
_PREFIXES = ("un", "re", "pre", "non", "sub", "auto", "multi")
MIN_STEM = 3


@lru_cache(maxsize=4096)
def is_common_word(word: str) -> bool:
    """Whether a lower-case word is common, itself or read back to a stem (`installed` -> install,
    `stopped` -> stop, `reinstall` -> install)."""
    if word in COMMON_WORDS:
        return True
    return any(stem in COMMON_WORDS for stem in _stems(word)) or any(
        word.startswith(prefix) and len(word) - len(prefix) >= 4 and is_common_word(word[len(prefix) :])
        for prefix in _PREFIXES
    )


def _stems(word: str) -> list[str]:
    stems: list[str] = []
    for ending, replacement in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM:
            stem = word[: -len(ending)]
            stems.append(stem + replacement)
            if len(stem) >= MIN_STEM + 1 and stem[-1] == stem[-2]:  # stopped -> stop, running -> run
                stems.append(stem[:-1])
    return stems
