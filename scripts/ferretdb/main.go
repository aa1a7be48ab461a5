// Command ferretdb-launcher runs FerretDB with its SQLite backend on a loopback
// port, for tests and local development on machines without mongod.
//
// It embeds the library instead of building upstream's cmd/ferretdb, whose plain
// `go install` panics at start for want of a generated version file.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "TCP address to listen on; port 0 picks a free one")
	dataDir := flag.String("data", "", "directory for the SQLite files (required)")
	flag.Parse()

	if *dataDir == "" {
		log.Fatal("-data is required")
	}
	absData, err := filepath.Abs(*dataDir)
	if err != nil {
		log.Fatal(err)
	}
	if err = os.MkdirAll(absData, 0o700); err != nil {
		log.Fatal(err)
	}

	// FerretDB logs every connection at info level; only problems are worth a line here.
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + absData + "/",
	})
	if err != nil {
		log.Fatal(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	done := make(chan struct{})
	go func() {
		defer close(done)
		if runErr := f.Run(ctx); runErr != nil {
			log.Print(runErr)
		}
	}()

	// MongoDBURI waits for the listener, so the line below means "ready"; callers read it from stdout.
	fmt.Println(f.MongoDBURI())

	<-done
}
