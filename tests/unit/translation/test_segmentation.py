"""Unit tests for sentence segmentation: split_text, split_long, SplitText.rebuild/refine."""

from __future__ import annotations

import math
import random
import time
import unicodedata
from collections.abc import Callable

import pytest

from mostlylucid_nmt.translation.segmentation import SplitText, split_long, split_text


def _assert_round_trip(split: SplitText, text: str) -> None:
    assert split.rebuild(split.sentences) == text
    assert len(split.gaps) == len(split.sentences) + 1
    for sentence in split.sentences:
        assert sentence
        assert sentence == sentence.strip()


def _sentences(text: str) -> tuple[str, ...]:
    split = split_text(text)
    _assert_round_trip(split, text)
    return split.sentences


def _max_length(limit: int) -> Callable[[str], bool]:
    def fits(piece: str) -> bool:
        return len(piece) <= limit

    return fits


# ---------------------------------------------------------------------------------------------------
# Empty input and layout
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", "\n", "\n\n\n", " \t\r\n ", "\u3000", "\r"])
@pytest.mark.parametrize("split_sentences", [True, False])
def test_whitespace_only_text_has_no_sentences(text: str, split_sentences: bool) -> None:
    split = split_text(text, split_sentences=split_sentences)
    assert split.sentences == ()
    assert split.gaps == (text,)


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_split_long_of_whitespace_has_no_pieces(text: str) -> None:
    split = split_long(text, _max_length(3))
    assert split.sentences == ()
    assert split.gaps == (text,)


def test_paragraphs_and_blank_lines_are_kept() -> None:
    text = "First paragraph. It has two sentences.\n\n\nSecond paragraph.\n"
    split = split_text(text)
    assert split.sentences == ("First paragraph.", "It has two sentences.", "Second paragraph.")
    assert split.gaps == ("", " ", "\n\n\n", "\n")
    _assert_round_trip(split, text)


def test_indentation_and_trailing_spaces_are_kept() -> None:
    text = "    Indented line.  \n\tTabbed line\t\n  "
    split = split_text(text)
    assert split.sentences == ("Indented line.", "Tabbed line")
    assert split.gaps == ("    ", "  \n\t", "\t\n  ")


@pytest.mark.parametrize(
    ("text", "gaps", "sentences"),
    [
        ("One.\r\nTwo.\r\n\r\nThree.\r\n", ("", "\r\n", "\r\n\r\n", "\r\n"), ("One.", "Two.", "Three.")),
        ("One\rTwo\r", ("", "\r", "\r"), ("One", "Two")),
        ("- a\r\n- b", ("- ", "\r\n- ", ""), ("a", "b")),
    ],
)
def test_line_endings_are_kept(text: str, gaps: tuple[str, ...], sentences: tuple[str, ...]) -> None:
    split = split_text(text)
    assert split.gaps == gaps
    assert split.sentences == sentences


def test_rebuild_puts_translations_between_the_original_gaps() -> None:
    split = split_text("  - Hello there. How are you?\n\n1. Fine.\r\n")
    assert split.rebuild(["Hallo.", "Wie geht's?", "Gut."]) == "  - Hallo. Wie geht's?\n\n1. Gut.\r\n"


@pytest.mark.parametrize("count", [0, 1, 3])
def test_rebuild_with_wrong_count_raises(count: int) -> None:
    split = split_text("One. Two.")
    with pytest.raises(ValueError, match="expected 2 translated sentences"):
        split.rebuild(["x"] * count)


@pytest.mark.parametrize(
    ("gaps", "sentences"),
    [
        (("", ""), ()),
        (("",), ("a",)),
        (("", ""), ("",)),
        (("", ""), (" a",)),
        (("", ""), ("a\n",)),
    ],
)
def test_split_text_rejects_broken_invariants(gaps: tuple[str, ...], sentences: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match=r"gap|sentence"):
        SplitText(gaps=gaps, sentences=sentences)


# ---------------------------------------------------------------------------------------------------
# List markers
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "marker", "sentence"),
    [
        ("- Dash item.", "- ", "Dash item."),
        ("* Star item", "* ", "Star item"),
        ("+ Plus item", "+ ", "Plus item"),
        ("• Bullet item", "• ", "Bullet item"),
        ("· Middle dot item", "· ", "Middle dot item"),
        ("1. First step", "1. ", "First step"),
        ("12) Twelfth step", "12) ", "Twelfth step"),
        ("3.2. Nested numbering", "3.2. ", "Nested numbering"),
        ("(7) Parenthesised number", "(7) ", "Parenthesised number"),
        ("a) Lettered item", "a) ", "Lettered item"),
        ("(b) Lettered item", "(b) ", "Lettered item"),
        ("(iv) Roman item", "(iv) ", "Roman item"),
        ("IV) Roman item", "IV) ", "Roman item"),
        ("б) Cyrillic lettered item", "б) ", "Cyrillic lettered item"),
        ("> Quoted text", "> ", "Quoted text"),
        (">> Nested quote", ">> ", "Nested quote"),
        ("> > Spaced nested quote", "> > ", "Spaced nested quote"),
        ("> - Quoted item", "> - ", "Quoted item"),
        ("# Title", "# ", "Title"),
        ("###### Deep title", "###### ", "Deep title"),
        ("## 1. Introduction", "## 1. ", "Introduction"),
        ("- [ ] Open task", "- [ ] ", "Open task"),
        ("* [x] Done task", "* [x] ", "Done task"),
        ("  - Indented item", "  - ", "Indented item"),
        ("-\tTabbed item", "-\t", "Tabbed item"),
    ],
)
def test_list_markers_stay_in_the_gap(line: str, marker: str, sentence: str) -> None:
    split = split_text(line + "\n")
    assert split.sentences == (sentence,)
    assert split.gaps == (marker, "\n")


@pytest.mark.parametrize(
    "line",
    [
        "2024 was a good year.",
        "1999 brought change.",
        "-5 degrees is cold.",
        "3.14 is pi.",
        "10.5 million people voted.",
        "#hashtag trends today",
        "*emphasis* matters",
        "A. Smith arrived late.",
        "Apple) is not a marker.",
        "1.5x faster than before",
    ],
)
def test_text_that_only_looks_like_a_marker_is_translated(line: str) -> None:
    split = split_text(line)
    assert split.sentences == (line,)
    assert split.gaps == ("", "")


def test_multi_line_list_keeps_every_marker() -> None:
    text = "Shopping:\n- Milk. Fresh.\n- Eggs\n  * Brown\n1. Pay\n2) Leave\n"
    split = split_text(text)
    assert split.sentences == ("Shopping:", "Milk.", "Fresh.", "Eggs", "Brown", "Pay", "Leave")
    assert split.gaps == ("", "\n- ", " ", "\n- ", "\n  * ", "\n1. ", "\n2) ", "\n")


def test_closing_heading_hashes_stay_in_the_gap() -> None:
    split = split_text("## Learning C# ##")
    assert split.sentences == ("Learning C#",)
    assert split.gaps == ("## ", " ##")


@pytest.mark.parametrize("text", ["---", "* * *", "***", "| --- | --- |", "...", "😀", "1.", "- "])
def test_lines_without_letters_or_digits_are_not_translated(text: str) -> None:
    split = split_text(f"Before.\n{text}\nAfter.")
    assert split.sentences == ("Before.", "After.")
    assert split.gaps == ("", f"\n{text}\n", "")


# ---------------------------------------------------------------------------------------------------
# Sentence boundaries in Latin script
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("Hello world. This is a test.", ("Hello world.", "This is a test.")),
        ("Is it? Yes! Good.", ("Is it?", "Yes!", "Good.")),
        ("Really?! 42 people came.", ("Really?!", "42 people came.")),
        ('Why? "Because."', ("Why?", '"Because."')),
        ("Stop! (Now.)", ("Stop!", "(Now.)")),
        ("One.  Two.\tThree.", ("One.", "Two.", "Three.")),
        ("Wait... Then it came.", ("Wait...", "Then it came.")),
        ("Wait… Then it came.", ("Wait…", "Then it came.")),
        ("It rained. 2024 was wet.", ("It rained.", "2024 was wet.")),
        ("He was born in 1990. He grew up.", ("He was born in 1990.", "He grew up.")),
    ],
)
def test_terminal_punctuation_splits(text: str, sentences: tuple[str, ...]) -> None:
    assert _sentences(text) == sentences


def test_whitespace_between_sentences_goes_to_the_gap() -> None:
    split = split_text("One.   Two.")
    assert split.gaps == ("", "   ", "")


@pytest.mark.parametrize(
    "text",
    [
        "Well... maybe not.",
        "Well… maybe not.",
        "Really? yes, really.",
        "Oh! that hurt.",
        "We use e.g. the tools.",
        "Do it. then stop.",
    ],
)
def test_terminal_mark_before_lowercase_does_not_split(text: str) -> None:
    assert _sentences(text) == (text,)


@pytest.mark.parametrize(
    "text",
    [
        # English
        "Mr. Smith arrived.",
        "Mrs. Smith arrived.",
        "Ms. Smith arrived.",
        "Dr. Jones operated.",
        "Prof. Lee lectured.",
        "John Smith Sr. Died young.",
        "John Smith Jr. Was born.",
        "They live on St. Mark's Square.",
        "Cats vs. Dogs is a film.",
        "Apples, pears etc. Were sold.",
        "Fruit, e.g. Apples, is healthy.",
        "One fruit, i.e. Apples, is red.",
        "He works at Acme Inc. Every day.",
        "Acme Ltd. Paid well.",
        "Smith & Co. Opened a shop.",
        "See Fig. 3 for details.",
        "It weighs approx. 5 kilos.",
        "He came on Jan. 5 and left in Dec. 2020 again.",
        "Room No. 5 is free.",
        "Smith et al. (2020) showed it.",
        "She lives in the U.S. And he does too.",
        # German
        "Das ist z.B. Ein Test.",
        "Das ist z. B. Ein Test.",
        "Äpfel bzw. Birnen sind Obst.",
        "Äpfel, Birnen usw. Kamen an.",
        "Das ist Nr. 5 der Liste.",
        "Es kamen ca. 20 Leute.",
        "Ca. 20 Leute kamen.",
        "Das ist d.h. Unklar.",
        "Das ist d. h. Unklar.",
        "Hr. Müller und Fr. Schmidt kamen.",
        "Wir kommen evtl. Morgen.",
        "Bitte ggf. Anrufen.",
        "Der Preis inkl. Steuern ist hoch.",
        "Am 3. Oktober ist Feiertag.",
        "Im 19. Jahrhundert war das so.",
        # French
        "M. Dupont est arrivé.",
        "Mme. Curie est là.",
        "Des fruits, p. ex. Pommes et poires.",
        # Spanish
        "El Sr. García vino.",
        "La Sra. López vino.",
    ],
)
def test_abbreviations_do_not_split(text: str) -> None:
    assert _sentences(text) == (text,)


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("No. I won't go.", ("No.", "I won't go.")),
        ("It was Dr. Jones. He left.", ("It was Dr. Jones.", "He left.")),
        ("Ask Prof. Lee. She knows.", ("Ask Prof. Lee.", "She knows.")),
    ],
)
def test_abbreviation_rules_still_split_real_ends(text: str, sentences: tuple[str, ...]) -> None:
    assert _sentences(text) == sentences


@pytest.mark.parametrize(
    "text",
    [
        "J. R. R. Tolkien wrote books.",
        "John F. Kennedy was president.",
        "George W. Bush spoke.",
    ],
)
def test_initials_do_not_split(text: str) -> None:
    assert _sentences(text) == (text,)


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("Pi is 3.14159 exactly. Next.", ("Pi is 3.14159 exactly.", "Next.")),
        ("Version v2.0.1 is out. Upgrade.", ("Version v2.0.1 is out.", "Upgrade.")),
        ("It costs 1,299.99 today. Buy.", ("It costs 1,299.99 today.", "Buy.")),
        ("Visit example.com. Then leave.", ("Visit example.com.", "Then leave.")),
        ("Go to www.x.org/a.b now. Then leave.", ("Go to www.x.org/a.b now.", "Then leave.")),
        ("See https://x.org/a.html?q=1.2 now. Ok.", ("See https://x.org/a.html?q=1.2 now.", "Ok.")),
        ("Mail jane.doe@mail.example.org today. Ok.", ("Mail jane.doe@mail.example.org today.", "Ok.")),
    ],
)
def test_decimals_versions_urls_and_emails_stay_whole(text: str, sentences: tuple[str, ...]) -> None:
    assert _sentences(text) == sentences


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ('He said "Stop." Then he left.', ('He said "Stop."', "Then he left.")),
        ("He said 'Stop.' Then he left.", ("He said 'Stop.'", "Then he left.")),
        ("He said “Stop!” Then he left.", ("He said “Stop!”", "Then he left.")),
        ("Er sagte „Halt.“ Dann ging er.", ("Er sagte „Halt.“", "Dann ging er.")),
        ("Il a dit « Stop. » Puis il est parti.", ("Il a dit « Stop. »", "Puis il est parti.")),
        (
            "Il a dit «\u00a0Stop\u00a0!\u00a0» Puis il est parti.",
            ("Il a dit «\u00a0Stop\u00a0!\u00a0»", "Puis il est parti."),
        ),
        ("Er sagte: »Halt.« Dann ging er.", ("Er sagte: »Halt.«", "Dann ging er.")),
        ("Er ging. »Halt!«, rief sie.", ("Er ging.", "»Halt!«, rief sie.")),
        ("Il a dit «Stop.» Puis il est parti.", ("Il a dit «Stop.»", "Puis il est parti.")),
        ("(This is an aside.) Next one.", ("(This is an aside.)", "Next one.")),
        ("See [the note.] Next one.", ("See [the note.]", "Next one.")),
        ("**Bold sentence.** Next one.", ("**Bold sentence.**", "Next one.")),
        ('"Why?" she asked.', ('"Why?" she asked.',)),
    ],
)
def test_closing_quotes_and_brackets_stay_with_their_sentence(text: str, sentences: tuple[str, ...]) -> None:
    assert _sentences(text) == sentences


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ('Hello world. "', ('Hello world. "',)),
        ("Great job! 🎉", ("Great job! 🎉",)),
        ("... And then it began.", ("... And then it began.",)),
        ("Done! !! Next part.", ("Done! !!", "Next part.")),
        ("Done. --- Next part.", ("Done.", "--- Next part.")),
    ],
)
def test_punctuation_only_pieces_join_a_sentence(text: str, sentences: tuple[str, ...]) -> None:
    assert _sentences(text) == sentences


# ---------------------------------------------------------------------------------------------------
# Other scripts
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("我爱北京。北京很大！你去过吗？", ("我爱北京。", "北京很大！", "你去过吗？")),
        ("你好!世界?真的。", ("你好!", "世界?", "真的。")),
        ("他说：“你好。”然后走了。", ("他说：“你好。”", "然后走了。")),
        ("今日は晴れです。明日は雨でしょう。", ("今日は晴れです。", "明日は雨でしょう。")),
        ("本当？はい！そうです。", ("本当？", "はい！", "そうです。")),
        ("「はい。」次の文です。", ("「はい。」", "次の文です。")),
        ("『終わり！』カタカナ。", ("『終わり！』", "カタカナ。")),
        ("全角の終止符．次の文．", ("全角の終止符．", "次の文．")),
        ("半角｡次｡", ("半角｡", "次｡")),
        ("値は３．１４です。次。", ("値は３．１４です。", "次。")),
        ("終わり。 次の文。", ("終わり。", "次の文。")),
        ("안녕하세요. 반갑습니다!", ("안녕하세요.", "반갑습니다!")),
    ],
)
def test_cjk_splits_without_spaces(text: str, sentences: tuple[str, ...]) -> None:
    assert _sentences(text) == sentences


def test_cjk_gap_after_full_stop_holds_the_space() -> None:
    split = split_text("終わり。 次の文。")
    assert split.gaps == ("", " ", "")


def test_japanese_quotation_followed_by_to_is_one_sentence() -> None:
    assert _sentences("彼は「こんにちは。」と言った。次の文。") == (
        "彼は「こんにちは。」と言った。",
        "次の文。",
    )


def test_url_is_not_cut_before_cjk_text() -> None:
    assert _sentences("See https://例子.cn/?查询 now!下一句。") == (
        "See https://例子.cn/?查询 now!",
        "下一句。",
    )


@pytest.mark.parametrize(
    ("text", "sentences", "gaps"),
    [
        ("สวัสดีครับ วันนี้อากาศดี", ("สวัสดีครับ", "วันนี้อากาศดี"), ("", " ", "")),
        ("ฉันชอบกิน  ข้าวผัด\tมาก", ("ฉันชอบกิน", "ข้าวผัด", "มาก"), ("", "  ", "\t", "")),
        # Spaces after the repetition mark ๆ are conventional inside a sentence.
        ("เด็กๆ เล่นกัน", ("เด็กๆ เล่นกัน",), ("", "")),
        ("Thai ภาษาไทย", ("Thai ภาษาไทย",), ("", "")),
    ],
)
def test_thai_spaces_are_sentence_boundaries(
    text: str, sentences: tuple[str, ...], gaps: tuple[str, ...]
) -> None:
    split = split_text(text)
    assert split.sentences == sentences
    assert split.gaps == gaps


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("मैं घर जा रहा हूँ। तुम कहाँ हो?", ("मैं घर जा रहा हूँ।", "तुम कहाँ हो?")),
        ("पहला वाक्य।दूसरा वाक्य।", ("पहला वाक्य।", "दूसरा वाक्य।")),
        ("श्लोक एक॥ श्लोक दो॥", ("श्लोक एक॥", "श्लोक दो॥")),
        ("مرحبا بك. كيف حالك؟ أنا بخير.", ("مرحبا بك.", "كيف حالك؟", "أنا بخير.")),
        ("یہ کتاب ہے۔ وہ قلم ہے۔", ("یہ کتاب ہے۔", "وہ قلم ہے۔")),
        ("Բարեւ։ Ինչպես ես։", ("Բարեւ։", "Ինչպես ես։")),
        ("ሰላም ነው። እንዴት ነህ፧ ደህና ነኝ።", ("ሰላም ነው።", "እንዴት ነህ፧", "ደህና ነኝ።")),
        ("မင်္ဂလာပါ။ နေကောင်းလား။", ("မင်္ဂလာပါ။", "နေကောင်းလား။")),
        ("សួស្តី។ សុខសប្បាយទេ។", ("សួស្តី។", "សុខសប្បាយទេ។")),
        ("Привет. Как дела? Хорошо.", ("Привет.", "Как дела?", "Хорошо.")),
        ("Это было в 2020 г. Потом всё изменилось.", ("Это было в 2020 г. Потом всё изменилось.",)),
    ],
)
def test_script_specific_terminals(text: str, sentences: tuple[str, ...]) -> None:
    assert _sentences(text) == sentences


def test_script_terminals_need_whitespace_except_danda() -> None:
    assert _sentences("كيف؟حالك") == ("كيف؟حالك",)
    assert _sentences("एक।दो") == ("एक।", "दो")


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        (
            "这是中文。This is English. これは日本語です。",
            ("这是中文。", "This is English.", "これは日本語です。"),
        ),
        ("I said 你好！Then I left.", ("I said 你好！", "Then I left.")),
        ("He wrote Python 3.12 代码。 It works.", ("He wrote Python 3.12 代码。", "It works.")),
    ],
)
def test_mixed_latin_and_cjk_lines(text: str, sentences: tuple[str, ...]) -> None:
    assert _sentences(text) == sentences


# ---------------------------------------------------------------------------------------------------
# split_sentences=False
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "gaps", "sentence"),
    [
        ("One. Two.", ("", ""), "One. Two."),
        ("\n  - One.\n\n  Two.\r\n\n", ("\n  ", "\r\n\n"), "- One.\n\n  Two."),
        ("今日は晴れです。明日は雨。", ("", ""), "今日は晴れです。明日は雨。"),
        ("\t---\t", ("\t", "\t"), "---"),
    ],
)
def test_without_sentence_splitting_the_content_is_one_sentence(
    text: str, gaps: tuple[str, ...], sentence: str
) -> None:
    split = split_text(text, split_sentences=False)
    assert split.sentences == (sentence,)
    assert split.gaps == gaps


# ---------------------------------------------------------------------------------------------------
# split_long
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["Short enough.", "a", "Hello, world; again: yes"])
def test_split_long_returns_a_fitting_sentence_unchanged(text: str) -> None:
    split = split_long(text, _max_length(100))
    assert split.sentences == (text,)
    assert split.gaps == ("", "")


def test_split_long_keeps_outer_whitespace_in_the_outer_gaps() -> None:
    split = split_long("  alpha beta gamma \n", _max_length(11))
    assert split.sentences == ("alpha beta", "gamma")
    assert split.gaps == ("  ", " ", " \n")


@pytest.mark.parametrize(
    ("text", "limit", "pieces", "gaps"),
    [
        # Clause punctuation wins over packing more words into a piece.
        (
            "alpha beta, gamma delta; epsilon zeta",
            18,
            ("alpha beta,", "gamma delta;", "epsilon zeta"),
            ("", " ", " ", ""),
        ),
        # Adjacent clauses are packed together when they fit.
        ("one, two, three, four", 10, ("one, two,", "three,", "four"), ("", " ", " ", "")),
        ("Note: this — that", 6, ("Note:", "this —", "that"), ("", " ", " ", "")),
        ("مرحبا، كيف حالك؛ بخير", 9, ("مرحبا،", "كيف حالك؛", "بخير"), ("", " ", " ", "")),
        ("我爱你，你爱我、他也爱我。", 5, ("我爱你，", "你爱我、", "他也爱我。"), ("", "", "", "")),
        ("我爱你， 你爱我", 5, ("我爱你，", "你爱我"), ("", " ", "")),
        # A comma without a following space is no clause break ("1,000").
        ("1,000,000 2,000", 9, ("1,000,000", "2,000"), ("", " ", "")),
        # Whitespace when a clause is too long.
        ("alpha beta gamma delta", 11, ("alpha beta", "gamma delta"), ("", " ", "")),
        (
            "alpha beta, gamma delta epsilon",
            12,
            ("alpha beta,", "gamma delta", "epsilon"),
            ("", " ", " ", ""),
        ),
        # Hard cuts as the last resort.
        ("abcdefghij", 4, ("abcd", "efgh", "ij"), ("", "", "", "")),
        ("ab abcdefgh", 4, ("ab", "abcd", "efgh"), ("", " ", "", "")),
        # Line breaks and sentence ends come before clauses (split_sentences=False documents).
        (
            "One.\n\nTwo is here. Three, four five.",
            14,
            ("One.", "Two is here.", "Three,", "four five."),
            ("", "\n\n", " ", " ", ""),
        ),
        ("今日は晴れ。明日は雨。", 6, ("今日は晴れ。", "明日は雨。"), ("", "", "")),
    ],
)
def test_split_long_cut_preferences(
    text: str, limit: int, pieces: tuple[str, ...], gaps: tuple[str, ...]
) -> None:
    split = split_long(text, _max_length(limit))
    assert split.sentences == pieces
    assert split.gaps == gaps
    _assert_round_trip(split, text)


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("e\u0301e\u0301e\u0301", ("e\u0301", "e\u0301", "e\u0301")),
        ("a\u0308\u0301bc", ("a\u0308\u0301", "b", "c")),
        ("क्षत्रिय", ("क्", "ष", "त्", "रि", "य")),
        ("👨\u200d👩\u200d👧x", ("👨\u200d👩\u200d👧", "x")),
        ("👍🏽👍", ("👍🏽", "👍")),
        ("🇩🇪🇫🇷", ("🇩🇪", "🇫🇷")),
        # Halves of a surrogate pair, as text decoded with "surrogatepass" may hold.
        ("\ud83d\ude00\ud83d\ude01", ("\ud83d\ude00", "\ud83d\ude01")),
    ],
)
def test_hard_cuts_keep_combining_sequences_together(text: str, pieces: tuple[str, ...]) -> None:
    # Only the expected single user-perceived characters fit, which forces a hard cut between each.
    def fits(piece: str) -> bool:
        return piece in pieces

    split = split_long(text, fits)
    assert split.sentences == pieces
    _assert_round_trip(split, text)


def test_hard_cuts_never_strand_a_combining_mark() -> None:
    text = "".join("e\u0301\u0323" if i % 3 == 0 else "n\u0303" for i in range(300))
    split = split_long(text, _max_length(10))
    _assert_round_trip(split, text)
    for piece in split.sentences:
        assert len(piece) <= 10
        assert not unicodedata.combining(piece[0])


def test_split_long_raises_when_a_single_character_does_not_fit() -> None:
    with pytest.raises(ValueError, match="single character"):
        split_long("abc def", _max_length(0))
    with pytest.raises(ValueError, match="single character"):
        split_long("ok e\u0301", lambda piece: "\u0301" not in piece)


def _large_document(rng: random.Random, length: int) -> str:
    words = ["alpha", "beta", "gamma", "delta", "Mr.", "e.g.", "3.14", "über", "naïve", "x"]
    sentences: list[str] = []
    total = 0
    while total < length:
        sentence = " ".join(rng.choice(words) for _ in range(rng.randint(3, 30)))
        sentence = sentence[0].upper() + sentence[1:] + rng.choice([".", "!", "?", ","])
        sentences.append(sentence)
        total += len(sentence) + 1
    text = ""
    for sentence in sentences:
        text += sentence + rng.choice([" ", " ", "  ", "\n", "\n\n"])
    return text[:length]


def test_large_document_rebuilds_and_every_piece_fits() -> None:
    text = _large_document(random.Random(7), 20_000)
    assert len(text) == 20_000
    fits = _max_length(400)
    started = time.perf_counter()
    split = split_text(text)
    refined = split.refine(lambda sentence: split_long(sentence, fits))
    elapsed = time.perf_counter() - started
    assert len(split.sentences) > 100
    _assert_round_trip(split, text)
    _assert_round_trip(refined, text)
    assert all(fits(piece) for piece in refined.sentences)
    assert elapsed < 1.0


def test_long_sentence_without_spaces_is_cut_cheaply() -> None:
    text = "".join(random.Random(3).choice("abcdefghijklmnopqrstuvwxyz") for _ in range(20_000))
    calls = 0
    probed = 0

    def fits(piece: str) -> bool:
        nonlocal calls, probed
        calls += 1
        probed += len(piece)
        return len(piece) <= 400

    started = time.perf_counter()
    split = split_long(text, fits)
    elapsed = time.perf_counter() - started
    _assert_round_trip(split, text)
    assert split.sentences == tuple(text[i : i + 400] for i in range(0, 20_000, 400))
    assert elapsed < 1.0
    # A handful of probes per piece, each not much longer than the piece: no quadratic work.
    assert calls < 5 * len(split.sentences) + 2 * math.ceil(math.log2(len(text)))
    assert probed < 6 * len(text)


def test_long_sentence_with_words_prefers_few_large_pieces() -> None:
    text = " ".join(["word"] * 5_000)
    split = split_long(text, _max_length(400))
    _assert_round_trip(split, text)
    assert all(len(piece) <= 400 for piece in split.sentences)
    # 80 words ("word" + 79 spaces = 399 chars) per piece is the best possible.
    assert len(split.sentences) == math.ceil(5_000 / 80)
    assert set(split.gaps[1:-1]) == {" "}


# ---------------------------------------------------------------------------------------------------
# refine
# ---------------------------------------------------------------------------------------------------


def test_refine_flattens_pieces_and_keeps_the_round_trip() -> None:
    text = "  First sentence is long, really long. Short.\n\n- Another long one here.\n"
    split = split_text(text)
    refined = split.refine(lambda sentence: split_long(sentence, _max_length(12)))
    _assert_round_trip(refined, text)
    assert refined.sentences == (
        "First",
        "sentence is",
        "long,",
        "really long.",
        "Short.",
        "Another long",
        "one here.",
    )
    assert refined.gaps == ("  ", " ", " ", " ", " ", "\n\n- ", " ", "\n")


def test_refine_with_whole_sentences_is_identity() -> None:
    split = split_text("One. Two.\nThree.")
    assert split.refine(lambda sentence: split_text(sentence, split_sentences=False)) == split


def test_refine_can_drop_a_sentence_into_the_gaps() -> None:
    split = split_text("Keep this. 12345. Keep that.")
    refined = split.refine(
        lambda sentence: (
            SplitText(gaps=(sentence,), sentences=()) if sentence.startswith("1") else split_text(sentence)
        )
    )
    assert refined.sentences == ("Keep this.", "Keep that.")
    assert refined.gaps == ("", " 12345. ", "")


def test_refine_rejects_a_split_that_loses_text() -> None:
    split = split_text("One. Two.")
    with pytest.raises(ValueError, match="does not reproduce"):
        split.refine(lambda sentence: SplitText(gaps=("", ""), sentences=("x",)))


# ---------------------------------------------------------------------------------------------------
# Round-trip property over random text
# ---------------------------------------------------------------------------------------------------

_ALPHABET = [
    *"abcxyzABCXYZ0129",
    *" \t\n\r",
    "\r\n",
    "\u00a0",
    "\u3000",
    "\u2028",
    *".!?…,;:—-*+#>()[]\"'”’«»「」",
    *"。！？，、．",
    *"你好世界日本語カナ",
    *"สวัสดีๆ",
    *"नमस्ते।॥",
    *"مرحبا؟۔،",
    "\u0301",
    "\u0323",
    "😀",
    "👨\u200d👩",
    "👍🏽",
    "🇩",
    "🇪",
    "\ud83d\ude00",
    "\ud83d",
    "Mr. ",
    "e.g. ",
    "3.14",
    "- ",
    "1. ",
    "a) ",
    "## ",
    "> ",
    "http://x.cn/?q=1 ",
    "a@b.com",
    "...",
]


def _random_text(rng: random.Random) -> str:
    return "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 60)))


def _letters_and_digits_at_most(limit: int) -> Callable[[str], bool]:
    # Monotone, and at most 1 for any single user-perceived character of _ALPHABET text (marks, joiners,
    # modifiers and flag halves are not letters), so any limit >= 1 can always be met by hard cuts.
    def fits(piece: str) -> bool:
        return sum(1 for char in piece if unicodedata.category(char)[0] in "LN") <= limit

    return fits


def _long_splitter(fits: Callable[[str], bool]) -> Callable[[str], SplitText]:
    def split_one(sentence: str) -> SplitText:
        return split_long(sentence, fits)

    return split_one


def test_random_text_round_trips_in_every_mode() -> None:
    rng = random.Random(20240601)
    for _ in range(3_000):
        text = _random_text(rng)
        fits = _letters_and_digits_at_most(rng.randint(1, 12))
        for split_sentences in (True, False):
            split = split_text(text, split_sentences=split_sentences)
            _assert_round_trip(split, text)
            refined = split.refine(_long_splitter(fits))
            _assert_round_trip(refined, text)
            assert all(fits(piece) for piece in refined.sentences)
        long_split = split_long(text, fits)
        _assert_round_trip(long_split, text)
        assert all(fits(piece) for piece in long_split.sentences)
