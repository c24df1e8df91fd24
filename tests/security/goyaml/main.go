// Command goyaml reads YAML on stdin the way Argo CD reads a plugin's stdout, and prints JSON.
//
// Mode "stream" (default): split where k8s.io/apimachinery's YAMLReader splits (a line that is
// `---` plus only whitespace), turn each piece into JSON with ghodss/yaml (sigs.k8s.io/yaml is its
// fork: yaml.v2 into interface{}, then JSON), skip pieces that are empty or null, as Argo CD's
// kube.SplitYAML does. Mode "one": the whole input as one document, as Helm reads a values file.
// Output: {"docs": [...]} or {"error": "..."}. Built offline from Debian's Go sources
// (golang-gopkg-yaml.v2-dev, golang-github-ghodss-yaml-dev) by tests/security/goyaml.py.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"

	"github.com/ghodss/yaml"
)

func pieces(data []byte) [][]byte {
	var out [][]byte
	var cur bytes.Buffer
	r := bufio.NewReader(bytes.NewReader(data))
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			if bytes.HasPrefix(line, []byte("---")) &&
				len(strings.TrimRightFunc(string(line[3:]), unicode.IsSpace)) == 0 {
				if cur.Len() > 0 {
					out = append(out, append([]byte(nil), cur.Bytes()...))
					cur.Reset()
				}
			} else {
				cur.Write(line)
			}
		}
		if err == io.EOF {
			break
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.Bytes())
	}
	return out
}

func fail(err error) {
	json.NewEncoder(os.Stdout).Encode(map[string]string{"error": err.Error()})
	os.Exit(0)
}

func main() {
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	mode := "stream"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	var docs []json.RawMessage
	if mode == "one" {
		j, err := yaml.YAMLToJSON(data)
		if err != nil {
			fail(err)
		}
		docs = append(docs, j)
	} else {
		for _, p := range pieces(data) {
			j, err := yaml.YAMLToJSON(p)
			if err != nil {
				fail(fmt.Errorf("document %d: %v", len(docs)+1, err))
			}
			j = bytes.TrimSpace(j)
			if len(j) == 0 || bytes.Equal(j, []byte("null")) {
				continue
			}
			docs = append(docs, j)
		}
	}
	if docs == nil {
		docs = []json.RawMessage{}
	}
	json.NewEncoder(os.Stdout).Encode(map[string]interface{}{"docs": docs})
}
