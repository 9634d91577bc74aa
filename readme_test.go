package dynamap

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMESnippetsComeFromCompilingCode checks that every line of every Go
// snippet in README.md appears in a .go file of the repository, so that the
// README shows only code that compiles (the snippets are cut from examples,
// Example functions and tests).
func TestREADMESnippetsComeFromCompilingCode(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	code := map[string]bool{}
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != ".") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(b), "\n") {
			code[strings.TrimSpace(line)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	inGo := false
	checked := 0
	sc := bufio.NewScanner(strings.NewReader(string(readme)))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "```go"):
			inGo = true
			continue
		case strings.HasPrefix(line, "```"):
			inGo = false
			continue
		}
		l := strings.TrimSpace(line)
		if !inGo || l == "" {
			continue
		}
		checked++
		if !code[l] {
			t.Errorf("README.md:%d is not a line of any .go file: %s", n, l)
		}
	}
	if checked < 50 {
		t.Errorf("only %d snippet lines found in README.md", checked)
	}
}
