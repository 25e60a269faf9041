"""Random small BibTeX files for differential tests: every construct bibtexparser's splitter
treats specially (quotes, braces, escapes, "#", macros, "@" in values, parentheses, repeated keys
and field names, broken blocks, odd white space), mixed and mutated.  Seeded: the same seed
gives the same files."""

WS = ["", " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u2028", "\x0b", "\x1c", " \n ", "\n\n", "\u3000"]
ATOMS = ["word", "Two Words", ",", "=", "@", "a@b.org", "\\\"", '\\"o', "\\{", "\\}", "\\\\", "\\\n", "#", " # ",
         "%", "~", "$x$", "\\'e", "\\v{r}", "\n", "\r\n", "(", ")", "\u00a0", "--", "''", "&", "{\"}", '"', "'",
         "\\", "and", " and ", "{", "}", "jcp", "2001", "\\@", "@book{x,", "\n@misc{y, t={1}}\n", "\t"]
NAMES = ["title", "author", "year", "journal", "doi", "note", "Title", "editor", "month", "institution", "booktitle",
         "", " ", "na me", "tïtle", "title\n", "da-te", "x"]
TYPES = ["article", "ARTICLE", "misc", "book", "Book", "inproceedings", "string", "comment", "preamble",
         "commentary", "Stringy", "", "ärticle", "a1", "_x"]
MLEVELS = [0.05, 0.2, 0.5, 1.0]
MACROS = ["jcp", "JCP", "jan", "feb", "und", "x2", "2001", "a.b"]

class G:
    def __init__(self, r, uniq):
        self.r = r; self.uniq = uniq; self.n = 0; self.m = 1.0
    def ch(self, xs): return self.r.choice(xs)
    def p(self, x): return self.r.random() < x
    def ws(self):
        return "" if self.p(0.4) else (" " if not self.p(0.5 * self.m) else self.ch(WS))
    def text(self, depth=0, inq=False):
        out = []
        for _ in range(self.r.randint(0, 4)):
            k = self.r.random()
            if k < 0.45: out.append(self.ch(["word", "Two Words", "A", "x y", "Müller", "2001"]))
            elif k < 0.8: out.append(self.ch(ATOMS))
            elif depth < 7: out.append("{" + self.text(depth + 1, inq) + "}")
        s = "".join(out)
        return s
    def balanced_text(self, depth=0):
        out = []
        for _ in range(self.r.randint(0, 4)):
            k = self.r.random()
            if k < 0.85 and self.p(0.3): continue
            if k < 0.5: out.append(self.ch(["word", "Two Words", "A", "x, y", "Müller", "2001", "a=b", "#", " and "]))
            elif k < 0.5 + 0.25 * self.m: out.append(self.ch(["\\\"", "\\{", "\\}", "\\\\", "\\\n", "\\'e", "$x$", "~", "--", "\n", "\r\n", '"', "@", "\u00a0", "\\"]))
            elif depth < 7: out.append("{" + self.balanced_text(depth + 1) + "}")
        return "".join(out)
    def atom_value(self):
        k = self.r.random()
        if k < 0.4: return "{" + (self.balanced_text() if not self.p(0.2 * self.m) else self.text()) + "}"
        if k < 0.65: return '"' + (self.balanced_text().replace('"', "") if not self.p(0.3 * self.m) else self.text()) + '"'
        if k < 0.8: return self.ch(["2001", "0", "12", "2001a"])
        return self.ch(MACROS)
    def value(self):
        v = self.atom_value()
        while self.p(0.2):
            v += self.ch(["#", " # ", "\n# ", "  #"]) + self.atom_value()
        return self.ws() + v + self.ws()
    def key(self):
        if self.uniq:
            self.n += 1
            k = f"k{self.n}"
        else:
            k = self.ch(["k1", "k2", "k3", "K1", "k1 ", " k2", "k 3"])
        if self.p(0.05): k = self.ch(["", " ", "a\nb", "k@1", "k\\x", "k=1", "k(1)", "k\u00a0", "ké"])
        return k
    def fields(self):
        fs = []
        pool = NAMES[:11] + ["pages", "volume", "url", "publisher", "number", "issn"]
        self.r.shuffle(pool)
        for _ in range(self.r.randint(0, 5)):
            name = (self.ch(NAMES) if self.p(0.3 * self.m) else pool.pop()) if not self.p(0.1 * self.m) else self.text()
            fs.append(self.ws() + name + self.ws() + ("=" if not self.p(0.03 * self.m) else self.ch(["", "==", ":"])) + self.value())
        sep = "," if not self.p(0.1 * self.m) else self.ch([",\n", ",\r\n", ", ", ",,", "\n"])
        body = sep.join(fs)
        if self.p(0.2): body += ","
        if self.p(0.2): body += self.ch(WS)
        return body
    def entry(self):
        t = self.ch(TYPES) if self.p(0.3 * self.m) else self.ch(["article", "misc", "book", "ARTICLE"])
        paren = self.p(0.08)
        o, c = ("(", ")") if paren else ("{", "}")
        lead = "" if not self.p(0.2 * self.m) else self.ch([" ", "\t", "\u00a0", "\r", "x ", "\x0c"])
        s = lead + "@" + t + ("" if self.p(0.85) else self.ch([" ", "\t", " \t", "\n"])) + o
        if self.p(0.03): return s + self.fields() + c  # keyless
        s += self.key()
        if self.p(0.05): return s + c  # @article{k}
        s += ("," if self.p(0.97) else "") + self.fields() + self.ws()
        if not self.p(0.07 * self.m): s += c
        return s
    def special(self):
        k = self.r.random()
        o, c = ("(", ")") if self.p(0.1) else ("{", "}")
        if k < 0.5:
            return "@" + self.ch(["string", "String", "STRING"]) + o + self.ws() + self.ch(MACROS) + self.ws() + "=" + self.value() + (c if self.p(0.95) else "")
        if k < 0.75:
            return "@" + self.ch(["comment", "Comment"]) + o + self.text() + (c if self.p(0.9) else "")
        return "@preamble" + o + self.value() + (c if self.p(0.9) else "")
    def between(self):
        k = self.r.random()
        if k < 1 - 0.4 * self.m: return "\n"
        return self.ch(["", " ", "\n\n", "\r\n", " trailing words\n", "\n% comment\n", "\nx @ y\n", "\n@@\n",
                        "\\\n", " ", "\t\n", "\n}\n", "\n{\n", "\u2028", "\n\u00a0\n", "\n@article\n", "\n@x{\n"])
    def file(self):
        self.m = self.ch(MLEVELS)
        out = [self.ch(["", "", "", "text\n", "@\n", "{\n", "% x\n", "\n"])]
        for _ in range(self.r.randint(1, 6)):
            out.append(self.entry() if self.p(0.78) else self.special())
            out.append(self.between())
        s = "".join(out)
        if self.p(0.15): s = s.replace("\n", "\r\n")
        for _ in range(self.r.randint(0, 2) if self.p(0.25 * self.m) else 0):
            i = self.r.randrange(len(s) + 1)
            if self.p(0.5): s = s[:i] + self.ch(["{", "}", '"', ",", "=", "@", "\\", "\n", "#", "(", ")"]) + s[i:]
            else: s = s[:i] + s[i + 1:]
        return s
