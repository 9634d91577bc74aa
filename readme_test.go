package dynamap

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/build"
	"go/doc"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var updateREADME = flag.Bool("update", false, "rewrite the go blocks of README.md from the sources their markers name")

// readmeMarker names the source of the go block on the next line:
//
//	<!-- from: ExampleTable_Query -->                   the body of an Example of this package
//	<!-- from: examples/quickstart/main.go -->          a whole file
//	<!-- from: example_setup_test.go createUsers -->    a declaration (an Example: its body;
//	                                                     a type: with the file's methods on it)
var readmeMarker = regexp.MustCompile(`^<!-- from: (\S+?)(?: (\S+))? -->$`)

// TestREADME checks that every ```go block of README.md is compiled code: a
// whole Go file of the module, a declaration, or the body of an Example that
// go test runs (it has an // Output: comment), as named by a
// <!-- from: ... --> marker on the line before the block. A block without a
// marker, a marker without a block, and a block that differs from its source
// fail the test, which prints the expected text; go test -run TestREADME
// -update rewrites the blocks.
func TestREADME(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(readme), "\n")
	var out strings.Builder
	blocks, changed := 0, 0
	for i := 0; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], "\n")
		m := readmeMarker.FindStringSubmatch(line)
		isFence := strings.HasPrefix(line, "```go")
		if m == nil && !isFence {
			if strings.HasPrefix(line, "<!-- from:") {
				t.Errorf("README.md:%d: malformed marker %q (want <!-- from: SOURCE --> or <!-- from: FILE NAME -->)", i+1, line)
			}
			out.WriteString(lines[i])
			continue
		}
		if isFence {
			t.Errorf("README.md:%d: go block without a <!-- from: ... --> marker on the line before it", i+1)
			out.WriteString(lines[i])
			continue
		}
		out.WriteString(lines[i])
		if i+1 >= len(lines) || strings.TrimRight(lines[i+1], "\n") != "```go" {
			t.Errorf("README.md:%d: marker %q is not followed by a ```go line", i+1, line)
			continue
		}
		end := slices.IndexFunc(lines[i+2:], func(l string) bool { return strings.TrimRight(l, "\n") == "```" })
		if end < 0 {
			t.Fatalf("README.md:%d: go block is never closed", i+2)
		}
		end += i + 2
		blocks++
		got := strings.Join(lines[i+2:end], "")
		want, err := readmeSource(m[1], m[2])
		if err != nil {
			t.Errorf("README.md:%d: %v", i+1, err)
			want = got
		}
		if err := parsesAsGo(want); err != nil {
			t.Errorf("README.md:%d: %s is not complete Go: %v", i+1, line, err)
		}
		if got != want {
			changed++
			if !*updateREADME {
				t.Errorf("README.md:%d: the block differs from its source %s; run go test -run TestREADME -update, or make it:\n%s",
					i+2, strings.TrimSpace(m[1]+" "+m[2]), want)
			}
		}
		out.WriteString(lines[i+1])
		out.WriteString(want)
		out.WriteString(lines[end])
		i = end
	}
	if blocks == 0 {
		t.Error("README.md has no go blocks with markers")
	}
	if *updateREADME && changed > 0 {
		if err := os.WriteFile("README.md", []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote %d of %d go blocks of README.md", changed, blocks)
	}
}

// readmeSource returns the text a marker names: file alone is a whole file,
// or, when it is an Example's name, that Example's body from a test file of
// this package; file and name is that declaration of the file (its body for
// an Example).
func readmeSource(file, name string) (string, error) {
	if name == "" && !strings.HasSuffix(file, ".go") {
		name, file = file, ""
		tests, err := filepath.Glob("*_test.go")
		if err != nil {
			return "", err
		}
		for _, f := range tests {
			src, err := os.ReadFile(f)
			if err != nil {
				return "", err
			}
			if bytes.Contains(src, []byte("\nfunc "+name+"()")) {
				if file != "" {
					return "", fmt.Errorf("%s is defined in %s and %s", name, file, f)
				}
				file = f
			}
		}
		if file == "" {
			return "", fmt.Errorf("no test file of this package defines %s", name)
		}
	}
	if filepath.IsAbs(file) || strings.HasPrefix(filepath.Clean(file), "..") {
		return "", fmt.Errorf("%s is not a file of the module", file)
	}
	src, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	// The file must be one go build or go test compiles here.
	if ok, err := build.Default.MatchFile(filepath.Dir(file), filepath.Base(file)); err != nil || !ok {
		return "", fmt.Errorf("%s is not compiled on this platform (%v)", file, err)
	}
	if name == "" {
		return string(src), nil
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, parser.ParseComments)
	if err != nil {
		return "", err
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv != nil || d.Name.Name != name {
				continue
			}
			if !strings.HasPrefix(name, "Example") {
				return declText(fset, src, d.Doc, d), nil
			}
			ex := exampleOf(f, name)
			if ex == nil || (ex.Output == "" && !ex.EmptyOutput) {
				return "", fmt.Errorf("%s in %s has no // Output: comment, so go test does not run it", name, file)
			}
			body := string(src[fset.Position(d.Body.Lbrace).Offset+1 : fset.Position(d.Body.Rbrace).Offset])
			body = strings.TrimPrefix(body, "\n")
			var b strings.Builder
			for _, l := range strings.SplitAfter(body, "\n") {
				b.WriteString(strings.TrimPrefix(l, "\t"))
			}
			return b.String(), nil
		case *ast.GenDecl:
			for _, s := range d.Specs {
				if ts, ok := s.(*ast.TypeSpec); ok && ts.Name.Name == name && !d.Lparen.IsValid() {
					// A type comes with the methods the file declares on it.
					text := declText(fset, src, d.Doc, d)
					for _, m := range f.Decls {
						if fd, ok := m.(*ast.FuncDecl); ok && receiverName(fd) == name {
							text += "\n" + declText(fset, src, fd.Doc, fd)
						}
					}
					return text, nil
				}
			}
		}
	}
	return "", fmt.Errorf("%s declares no function or type %s", file, name)
}

// receiverName returns the name of fd's receiver type ("" for a function).
func receiverName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return ""
	}
	t := fd.Recv.List[0].Type
	if st, ok := t.(*ast.StarExpr); ok {
		t = st.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

// declText returns the source of decl with its doc comment and a newline.
func declText(fset *token.FileSet, src []byte, docs *ast.CommentGroup, decl ast.Node) string {
	start := decl.Pos()
	if docs != nil {
		start = docs.Pos()
	}
	return string(src[fset.Position(start).Offset:fset.Position(decl.End()).Offset]) + "\n"
}

// exampleOf returns the Example called name in f, as go test sees it.
func exampleOf(f *ast.File, name string) *doc.Example {
	for _, ex := range doc.Examples(f) {
		if "Example"+ex.Name == name {
			return ex
		}
	}
	return nil
}

// parsesAsGo reports whether src is a Go file, or top-level declarations, or
// the statements of a function body.
func parsesAsGo(src string) error {
	_, err := parser.ParseFile(token.NewFileSet(), "block.go", src, 0)
	if err == nil {
		return nil
	}
	if _, err2 := parser.ParseFile(token.NewFileSet(), "block.go", "package p\n"+src, 0); err2 == nil {
		return nil
	}
	if _, err2 := parser.ParseFile(token.NewFileSet(), "block.go", "package p\nfunc _() {\n"+src+"\n}\n", 0); err2 == nil {
		return nil
	}
	return err
}

// TestExamplesHaveOutput checks that every Example function of the module
// (outside bench/, a module of its own) has an // Output: comment, so that
// go test runs it rather than only compiling it.
func TestExamplesHaveOutput(t *testing.T) {
	examples := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "bench") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		for _, ex := range doc.Examples(f) {
			examples++
			if ex.Output == "" && !ex.EmptyOutput {
				t.Errorf("%s: Example%s has no // Output: comment, so go test never runs it", path, ex.Name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if examples < 10 {
		t.Errorf("found only %d Examples", examples)
	}
}
