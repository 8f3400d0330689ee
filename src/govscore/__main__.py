from govscore.cli import main

main()
